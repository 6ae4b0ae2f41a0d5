package devsmtp

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"time"
)

// Parsed is what a mail client would show of a message: its headers, and
// the decoded text and HTML alternatives.
type Parsed struct {
	Header    mail.Header
	Subject   string
	MessageID string
	Date      time.Time
	Text      string
	HTML      string
	// Parts lists the content types of the leaf parts, in order.
	Parts []string
}

var wordDecoder = &mime.WordDecoder{}

// Parse reads a raw RFC 5322 message.
func Parse(raw []byte) (Parsed, error) {
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return Parsed{}, fmt.Errorf("devsmtp: parse: %w", err)
	}
	p := Parsed{Header: m.Header}
	p.Subject, err = wordDecoder.DecodeHeader(m.Header.Get("Subject"))
	if err != nil {
		p.Subject = m.Header.Get("Subject")
	}
	p.MessageID = strings.Trim(m.Header.Get("Message-Id"), "<> ")
	p.Date, _ = m.Header.Date()
	err = p.walk(m.Header.Get("Content-Type"), m.Header.Get("Content-Transfer-Encoding"), m.Body)
	return p, err
}

func (p *Parsed) walk(ctype, cte string, body io.Reader) error {
	if ctype == "" {
		ctype = "text/plain; charset=us-ascii"
	}
	mt, params, err := mime.ParseMediaType(ctype)
	if err != nil {
		return fmt.Errorf("devsmtp: content type %q: %w", ctype, err)
	}
	if strings.HasPrefix(mt, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			part, err := mr.NextRawPart()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return fmt.Errorf("devsmtp: multipart: %w", err)
			}
			if err := p.walk(part.Header.Get("Content-Type"), part.Header.Get("Content-Transfer-Encoding"), part); err != nil {
				return err
			}
		}
	}
	p.Parts = append(p.Parts, mt)
	var r io.Reader = body
	switch strings.ToLower(cte) {
	case "quoted-printable":
		r = quotedprintable.NewReader(body)
	case "base64":
		r = base64.NewDecoder(base64.StdEncoding, body)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return fmt.Errorf("devsmtp: decode %s: %w", mt, err)
	}
	text := strings.ReplaceAll(string(b), "\r\n", "\n")
	switch mt {
	case "text/plain":
		if p.Text == "" {
			p.Text = text
		}
	case "text/html":
		if p.HTML == "" {
			p.HTML = text
		}
	}
	return nil
}
