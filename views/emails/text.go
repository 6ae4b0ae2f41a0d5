package emails

import "strings"

// Text is the plain-text alternative: the same copy as the HTML, in the
// same order, with each address written out.
func Text(m Message) string {
	var b strings.Builder
	para := func(lines ...string) {
		wrote := false
		for _, l := range lines {
			if l == "" {
				continue
			}
			b.WriteString(l)
			b.WriteByte('\n')
			wrote = true
		}
		if wrote {
			b.WriteByte('\n')
		}
	}
	para(m.Greeting)
	para(m.Intro)
	for _, n := range m.Notices {
		// The plain text has no title: each campaign's date sentence
		// heads its section, even when the HTML shows it as the title.
		para(n.Heading+"\n"+strings.Repeat("-", len([]rune(n.Heading))), n.Reason, strings.TrimSpace(n.ToDo+" "+n.DaysLeft))
		for _, c := range n.Cars {
			para(c.Button+":", c.URL)
		}
	}
	for _, c := range m.Cars {
		title := ""
		if m.Several() {
			title = c.Title + "\n" + strings.Repeat("-", len([]rune(c.Title)))
		}
		para(title, c.Reason, c.ToDo)
		para(c.Button+":", c.URL)
	}
	para(strings.TrimSpace(m.HowLong + " " + m.Kept))
	para(m.Validity)
	para(m.Ignore)
	para(m.Support)
	para(m.SignOff)
	b.WriteString("-- \n")
	para(m.Why)
	if m.UnsubscribeURL != "" {
		para(m.UnsubscribeLabel+":", m.UnsubscribeURL)
	}
	return strings.TrimRight(b.String(), "\n") + "\n"
}
