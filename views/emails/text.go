package emails

import (
	"fmt"
	"strings"
)

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
	para(or(m.IntroText, m.Intro))
	for _, n := range m.Notices {
		// The plain text has no title: each campaign's date sentence
		// heads its section, even when the HTML shows it as the title.
		para(n.Heading+"\n"+strings.Repeat("-", len([]rune(n.Heading))), n.Reason, strings.TrimSpace(n.ToDo+" "+n.DaysLeft))
		for _, c := range n.Cars {
			para(m.Labelled(c.Button), c.URL)
		}
	}
	para(m.Benefit)
	if len(m.Steps) > 0 {
		steps := []string{m.StepsTitle}
		for i, s := range m.Steps {
			if i < len(m.StepsText) && m.StepsText[i] != "" {
				s = m.StepsText[i]
			}
			steps = append(steps, fmt.Sprintf("%d. %s", i+1, s))
		}
		para(steps...)
	}
	for _, c := range m.Cars {
		title := ""
		if m.Several() {
			title = c.Title + "\n" + strings.Repeat("-", len([]rune(c.Title)))
		}
		para(title, c.Reason, c.ToDo)
		if c.FixURL != "" {
			para(m.Labelled(c.FixLabel), c.FixURL)
		}
		para(c.FixHint)
		para(c.ThenText)
		para(m.Labelled(c.Button), c.URL)
	}
	para(strings.TrimSpace(m.HowLong + " " + m.Kept))
	para(m.Validity)
	para(m.Ignore)
	para(m.Support)
	para(m.Thanks, m.SignOff)
	b.WriteString("-- \n")
	para(m.Why)
	if m.UnsubscribeURL != "" {
		para(m.Labelled(m.UnsubscribeLabel), m.UnsubscribeURL)
	}
	return strings.TrimRight(b.String(), "\n") + "\n"
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
