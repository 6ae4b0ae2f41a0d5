package app

import (
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

// emailDeps are the web layer's email parts: the fresh-link mailer (nil
// while email is off), the unsubscriber and the demo's inbox.
func (a *App) emailDeps(o options) (notify.LinkMailer, *notify.Service, *devsmtp.Inbox) {
	var lm notify.LinkMailer
	if a.Config.Email.Enabled() {
		lm = a.Notify
	}
	return lm, a.Notify, o.devInbox
}
