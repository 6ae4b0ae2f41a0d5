package app

import (
	"time"

	"github.com/riverqueue/river"

	"reconnect/internal/config"
	"reconnect/internal/mail"
	"reconnect/internal/mail/devsmtp"
	"reconnect/internal/notify"
)

// Option adjusts how New assembles the app.
type Option func(*options)

type options struct {
	devInbox *devsmtp.Inbox
}

// WithDevInbox shows what the demo's in-process SMTP server received at
// /dev/inbox. Only the demo sets it.
func WithDevInbox(in *devsmtp.Inbox) Option {
	return func(o *options) { o.devInbox = in }
}

// newEmail builds the mailer and the schedule. Without SMTP_URL nothing is
// emailed, but unsubscribe links from earlier emails keep working.
func (a *App) newEmail() error {
	e := a.Config.Email
	var sender mail.Sender
	if e.Enabled() {
		snd, err := mail.NewSMTP(mail.Settings{SMTP: e.SMTP, From: e.From, ReplyTo: e.ReplyTo})
		if err != nil {
			return &config.Error{Var: "MAIL_FROM", Expect: err.Error()}
		}
		sender = snd
	} else {
		a.Log.Warn("email is off: owners are not emailed until SMTP_URL and MAIL_FROM are set")
	}
	loc, err := time.LoadLocation(e.TimeZone)
	if err != nil {
		return &config.Error{Var: "EMAIL_TIME_ZONE", Expect: err.Error()}
	}
	a.Notify = notify.New(notify.Config{
		AppName: a.Config.AppName, BaseURL: a.Config.PublicBaseURL,
		Debounce: e.Debounce, Reminders: e.Reminders, Max: e.Max, MinInterval: e.MinInterval,
		Quiet: e.QuietHours, TimeZone: loc, LinkTTL: a.Config.LinkEmailTTL,
	}, a.Store, a.Links, sender, a.I18n, a.Log.With("component", "email"))
	if sender != nil {
		a.Lifecycle.AddHook(a.Notify)
	}
	return nil
}

func registerEmailWorkers(w *river.Workers, a *App) { a.Notify.Register(w) }

func emailPeriodicJobs(a *App) []*river.PeriodicJob {
	if !a.Config.Email.Enabled() {
		return nil
	}
	return []*river.PeriodicJob{a.Notify.Periodic()}
}

// emailDeps are the web layer's email parts: the fresh-link mailer (nil
// while email is off), the unsubscriber and the demo's inbox.
func (a *App) emailDeps(o options) (notify.LinkMailer, *notify.Service, *devsmtp.Inbox) {
	var lm notify.LinkMailer
	if a.Config.Email.Enabled() {
		lm = a.Notify
	}
	return lm, a.Notify, o.devInbox
}
