package config

import (
	"net/mail"
	"net/url"
	"strings"
)

// Support is where an owner who is stuck gets help: every owner page, every
// email and the Connect callback's error pages name it when it is set.
type Support struct {
	// URL is a help page; https, because owners open it from email.
	URL string `env:"SUPPORT_URL"`
	// Email is an address owners may write to.
	Email string `env:"SUPPORT_EMAIL"`
}

// Any reports whether a support page or address is configured.
func (s Support) Any() bool { return s.URL != "" || s.Email != "" }

func (s *Support) validate() error {
	s.URL, s.Email = strings.TrimSpace(s.URL), strings.TrimSpace(s.Email)
	if s.URL != "" {
		u, err := url.Parse(s.URL)
		if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil {
			return &Error{"SUPPORT_URL", "an https URL such as https://help.example.com/reconnect"}
		}
	}
	if s.Email != "" {
		// A bare address: it is shown to owners and put in mailto: links.
		a, err := mail.ParseAddress(s.Email)
		if err != nil || a.Name != "" || a.Address != s.Email {
			return &Error{"SUPPORT_EMAIL", "an email address such as support@example.com"}
		}
	}
	return nil
}
