package app

import (
	"reconnect/internal/mail/devsmtp"
	"reconnect/web"
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

// emailDeps are the web layer's email parts.
func (a *App) emailDeps(o options) (web.LinkMailer, web.Unsubscriber, *devsmtp.Inbox) {
	var lm web.LinkMailer
	if a.Config.Email.Enabled() {
		lm = a.Notify
	}
	return lm, a.Notify, o.devInbox
}
