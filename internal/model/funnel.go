package model

import "slices"

// FunnelStep is the furthest point a vehicle reached in a launched
// campaign. Each vehicle is at exactly one step, so a campaign's steps add
// up to its cohort. Returned by the API and written to the CSV export, so
// the values never change.
type FunnelStep string

// The funnel steps: the line the campaign moves owners along, then the
// exits beside it.
const (
	// StepNotNotified: nothing reached the owner yet (a later wave, a
	// notice not due yet).
	StepNotNotified FunnelStep = "not_notified"
	// StepNotified: the mail server accepted a campaign email for the
	// owner, or the host's status API handed the campaign's message out.
	StepNotified FunnelStep = "notified"
	// StepOpened: a person continued a link from a campaign email (a
	// scanner's fetch or a GET alone never counts).
	StepOpened FunnelStep = "opened"
	// StepStarted: the owner left for Smartcar Connect.
	StepStarted FunnelStep = "started"
	// StepCompleted: the vehicle was re-authenticated for the campaign.
	StepCompleted FunnelStep = "completed"
	// StepDeclined: the owner said no, with a reason.
	StepDeclined FunnelStep = "declined"
	// StepUnreachable: never notified and cannot be: no owner or email
	// address, unsubscribed, or the campaign's email failed for good.
	StepUnreachable FunnelStep = "unreachable"
	// StepFailed: Smartcar Connect answered an error on the last attempt
	// and nothing completed it since.
	StepFailed FunnelStep = "failed"
)

// FunnelSteps lists every step in the order pages and exports show them:
// the line first, then the exits.
var FunnelSteps = []FunnelStep{StepNotNotified, StepNotified, StepOpened, StepStarted, StepCompleted,
	StepDeclined, StepUnreachable, StepFailed}

// FunnelLine is the main line, in order: conversion is from each step to
// the next.
var FunnelLine = []FunnelStep{StepNotNotified, StepNotified, StepOpened, StepStarted, StepCompleted}

// FunnelPrecedence decides a vehicle's one step when several apply: the
// first that applies wins.
var FunnelPrecedence = []FunnelStep{StepCompleted, StepDeclined, StepFailed, StepStarted, StepOpened,
	StepNotified, StepUnreachable, StepNotNotified}

// Valid reports whether s is a known step.
func (s FunnelStep) Valid() bool { return slices.Contains(FunnelSteps, s) }

// FunnelAttributionDirect names completions no campaign email led to: the
// session they happened in was opened by no notice's link (an in-app link,
// the host's own flow, a webhook after the cut-over).
const FunnelAttributionDirect = "direct"
