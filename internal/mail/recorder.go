package mail

import (
	"context"
	"strings"
	"sync"
)

// Recorder is a Sender for tests: it keeps what it was given and fails when
// told to.
type Recorder struct {
	mu   sync.Mutex
	msgs []Message
	// Fail, when set, decides each attempt: a non-nil error is returned and
	// nothing is kept.
	Fail func(m Message) error
}

// Send records m (or fails as told).
func (r *Recorder) Send(_ context.Context, m Message) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.Fail != nil {
		if err := r.Fail(m); err != nil {
			return err
		}
	}
	r.msgs = append(r.msgs, m)
	return nil
}

// Messages returns everything sent so far, oldest first.
func (r *Recorder) Messages() []Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Message(nil), r.msgs...)
}

// To returns what was sent to one address.
func (r *Recorder) To(addr string) []Message {
	var out []Message
	for _, m := range r.Messages() {
		if strings.EqualFold(m.To, addr) {
			out = append(out, m)
		}
	}
	return out
}

// Reset forgets everything.
func (r *Recorder) Reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = nil
}
