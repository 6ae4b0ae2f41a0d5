package notify

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/a-h/templ"

	"reconnect/internal/campaign"
	"reconnect/internal/i18n"
	"reconnect/internal/links"
	"reconnect/internal/mail"
	"reconnect/internal/model"
	"reconnect/internal/store"
	"reconnect/internal/vehicletext"
	"reconnect/views/emails"
	"reconnect/web/paths"
)

// composeReconnect writes the digest (first email) or a reminder about the
// given cars, and a section per campaign notice it carries, in the owner's
// language. Each car gets its own email link, minted with the email's
// Message-ID as its source, so an open or a repair is attributed to this
// email, and a car fixed meanwhile shows "already reconnected". An email
// with notices alone takes its subject and heading from the first
// campaign. owned are the owner's cars, for the campaigns' car names.
func (s *Service) composeReconnect(ctx context.Context, tx *store.Store, o model.Owner, em store.EmailMessage, vs []model.Vehicle,
	notices []campaign.OwnerNotice, owned []model.Vehicle) (mail.Message, error) {
	l := s.localizer(o)
	reminder := em.Seq > 1
	m := s.frame(l, o)
	sections, texts, err := s.noticeSections(ctx, tx, l, o, em, notices, owned)
	if err != nil {
		return mail.Message{}, err
	}
	m.Notices = sections
	switch {
	case len(vs) == 1:
		d := s.carData(l, vs[0])
		m.Subject = l.T(pick(reminder, "email.reminder_subject_one", "email.subject_one"), d)
		m.Heading = l.T("email.heading_one", d)
		m.Intro = l.T(pick(reminder, "email.reminder_intro_one", "email.intro_one"), d)
	case len(vs) > 1:
		d := map[string]any{"App": s.cfg.AppName, "Count": len(vs)}
		m.Subject = l.T(pick(reminder, "email.reminder_subject_many", "email.subject_many"), d)
		m.Heading = l.T("email.heading_many", d)
		m.Intro = l.T(pick(reminder, "email.reminder_intro_many", "email.intro_many"), d)
	case len(notices) > 0:
		m.Subject = s.campaignSubject(l, notices[0].Campaign, texts[0])
		m.Heading = texts[0].Heading
	}
	m.Preheader = l.T("email.preheader", map[string]any{"App": s.cfg.AppName})
	if benefit := s.cfg.Benefits[l.Lang()]; benefit != "" {
		m.Benefit = l.T(pick(len(vs) > 1, "email.benefit_many", "email.benefit_one"), map[string]any{"Benefit": benefit})
	}
	m.StepsTitle, m.Steps, m.StepsText = s.steps(l, vs)
	if len(vs) == 0 && len(notices) > 0 {
		m.Preheader = l.T("campaign.preheader", map[string]any{"Make": vehicletext.MakeName(notices[0].Campaign.Make)})
	}
	if len(notices) > 0 {
		m.Support = s.supportLine(l, true)
	}
	for _, v := range vs {
		link, err := s.links.Mint(ctx, tx, links.Mint{OwnerID: o.ID, VehicleID: &v.ID, Purpose: model.PurposeEmail, Source: model.SourceEmail, SourceRef: em.MessageID})
		if err != nil {
			return mail.Message{}, err
		}
		d := s.carData(l, v)
		rk, tk := vehicletext.ReasonKeys(v)
		if tk == "todo.reauth" {
			// The numbered steps above say it.
			tk = ""
		}
		button := pick(len(vs) > 1, "email.button_car", "email.button_one")
		if v.State == model.StateNeedsVirtualKey {
			button = pick(len(vs) > 1, "email.button_key_car", "email.button_key")
		}
		c := emails.Car{Title: d["Car"].(string), Button: l.T(button, d), URL: link.URL}
		if rk != "" {
			c.Reason = l.T(rk, d)
		}
		if tk != "" {
			c.ToDo = l.T(tk, d)
			if vehicletext.FixFirst(tk) {
				c.Then, c.ThenText = l.T("email.then_button"), l.T("email.then_link")
			}
		}
		if oc, ok := vehicletext.OEMCaseOf(v); ok {
			if u := s.cfg.OEMLinks.URL(v.Make, oc); u != "" {
				c.FixURL, c.FixLabel = u, l.T("oem.link_"+string(oc), d)
			} else {
				c.FixHint = l.T("oem.fallback", d)
			}
		}
		m.Cars = append(m.Cars, c)
	}
	m.HowLong = l.T("email.how_long")
	m.Kept = l.T("email.kept", map[string]any{"App": s.cfg.AppName})
	return s.finishMessage(ctx, tx, o, em, m)
}

// composeFreshLink writes the email with a new link the owner (or staff for
// them) asked for.
func (s *Service) composeFreshLink(ctx context.Context, tx *store.Store, o model.Owner, em store.EmailMessage) (mail.Message, error) {
	l := s.localizer(o)
	m := s.frame(l, o)
	d := map[string]any{"App": s.cfg.AppName}
	m.Subject = l.T("email.fresh_subject", d)
	m.Heading = l.T("email.fresh_heading", d)
	m.Intro = l.T("email.fresh_intro", d)
	m.IntroText = l.T("email.fresh_intro_text", d)
	m.Preheader = m.Intro
	// A link emailed on a staff member's behalf says so, so that it does
	// not open an owner session in a browser where staff are signed in.
	source := model.SourceEmail
	if em.Source == model.SourceStaff {
		source = model.SourceStaff
	}
	link, err := s.links.Mint(ctx, tx, links.Mint{OwnerID: o.ID, VehicleID: em.VehicleID, Purpose: model.PurposeEmail, Source: source, SourceRef: em.MessageID})
	if err != nil {
		return mail.Message{}, err
	}
	m.Cars = []emails.Car{{Button: l.T("email.fresh_button", d), URL: link.URL}}
	m.Ignore = l.T("email.fresh_ignore")
	return s.finishMessage(ctx, tx, o, em, m)
}

// frame fills what every email has: greeting, validity, sign-off, footer.
func (s *Service) frame(l *i18n.Localizer, o model.Owner) emails.Message {
	d := map[string]any{"App": s.cfg.AppName}
	m := emails.Message{Lang: l.Lang(), AppName: s.cfg.AppName, LogoURL: s.cfg.LogoURL, BrandColor: s.cfg.BrandColor}
	m.Colon = l.T("email.colon", map[string]any{"Label": "{label}"})
	m.Greeting = l.T("email.greeting_anon")
	if first := strings.Fields(o.Name); len(first) > 0 {
		m.Greeting = l.T("email.greeting", map[string]any{"Name": first[0]})
	}
	if days := int(s.cfg.LinkTTL / (24 * time.Hour)); days >= 2 {
		m.Validity = l.T("email.validity_days", map[string]any{"Days": days})
	} else {
		m.Validity = l.T("email.validity_hours", map[string]any{"Hours": int(s.cfg.LinkTTL / time.Hour)})
	}
	m.LinkHelp = l.T("email.link_help")
	m.Thanks = l.T("email.thanks")
	m.SignOff = l.T("email.sign_off", d)
	m.Why = l.T("email.why", d)
	m.UnsubscribeLabel = l.T("email.unsubscribe")
	m.Support = s.supportLine(l, false)
	return m
}

// finishMessage adds the unsubscribe link and renders both parts.
func (s *Service) finishMessage(ctx context.Context, tx *store.Store, o model.Owner, em store.EmailMessage, m emails.Message) (mail.Message, error) {
	token, err := tx.NewUnsubscribeToken(ctx, o.ID, &em.ID)
	if err != nil {
		return mail.Message{}, err
	}
	m.UnsubscribeURL = strings.TrimRight(s.cfg.BaseURL, "/") + paths.Unsubscribe(token)
	html, err := renderHTML(ctx, emails.HTML(m))
	if err != nil {
		return mail.Message{}, err
	}
	return mail.Message{
		To: o.Email, ToName: o.Name, Subject: m.Subject, Text: emails.Text(m), HTML: html,
		MessageID: em.MessageID, Date: tx.Now(), Unsubscribe: m.UnsubscribeURL,
	}, nil
}

func renderHTML(ctx context.Context, c templ.Component) (string, error) {
	buf := templ.GetBuffer()
	defer templ.ReleaseBuffer(buf)
	if err := c.Render(ctx, buf); err != nil {
		return "", fmt.Errorf("notify: render email: %w", err)
	}
	return buf.String(), nil
}

func (s *Service) localizer(o model.Owner) *i18n.Localizer {
	return s.i18n.Localizer(s.i18n.Match(o.Locale))
}

// carData is the template data about one car. A car whose make we do not
// know is "your car" in the owner's language.
func (s *Service) carData(l *i18n.Localizer, v model.Vehicle) map[string]any {
	make := vehicletext.MakeName(v.Make)
	if make == "" {
		make = l.T("email.car")
	}
	title := vehicletext.Title(v)
	if v.Make == "" && v.Model == "" && v.Year == 0 {
		title = l.T("email.car")
	}
	return map[string]any{"App": s.cfg.AppName, "Make": make, "Car": title}
}

// steps numbers what reconnecting takes: the button (a link in plain text),
// signing in at the carmaker, approving. Cars that only need a virtual key
// take none of these steps.
func (s *Service) steps(l *i18n.Localizer, vs []model.Vehicle) (title string, html, text []string) {
	makes := map[string]bool{}
	var make string
	for _, v := range vs {
		if v.State == model.StateNeedsVirtualKey {
			continue
		}
		make = vehicletext.MakeName(v.Make)
		makes[make] = true
	}
	if len(makes) == 0 {
		return "", nil, nil
	}
	many := len(vs) > 1
	signIn := l.T("email.step_sign_in", map[string]any{"Make": make})
	if len(makes) > 1 || make == "" {
		signIn = l.T("email.step_sign_in_many")
	}
	approve := l.T("email.step_approve", map[string]any{"App": s.cfg.AppName})
	html = []string{l.T(pick(many, "email.step_button_many", "email.step_button_one")), signIn, approve}
	text = []string{l.T(pick(many, "email.step_link_many", "email.step_link_one")), signIn, approve}
	return l.T("email.steps_title"), html, text
}

func pick(cond bool, yes, no string) string {
	if cond {
		return yes
	}
	return no
}
