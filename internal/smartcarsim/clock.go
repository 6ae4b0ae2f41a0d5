package smartcarsim

import (
	"sync"
	"time"
)

// Clock tells the simulator what time it is. Every expiry (codes, tokens,
// refresh grace) and every timestamp it hands out is read from it, so tests
// can jump hours or days ahead without waiting.
type Clock interface {
	Now() time.Time
}

// Advancer is a Clock that can be moved forward; Sim.Advance and the control
// API's clock endpoint work only when the configured Clock is one.
type Advancer interface {
	Clock
	Advance(d time.Duration)
}

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

// FakeClock is a frozen clock for tests: it moves only when told to.
type FakeClock struct {
	mu  sync.Mutex
	now time.Time
}

// NewFakeClock returns a clock frozen at start.
func NewFakeClock(start time.Time) *FakeClock { return &FakeClock{now: start} }

// Now returns the frozen time.
func (c *FakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *FakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// OffsetClock follows the wall clock plus an offset. A demo wants time to
// pass on its own and still be able to skip two hours to expire a token.
type OffsetClock struct {
	mu     sync.Mutex
	offset time.Duration
}

// NewOffsetClock returns a clock that starts at the wall-clock time.
func NewOffsetClock() *OffsetClock { return &OffsetClock{} }

// Now returns the wall-clock time plus the accumulated offset.
func (c *OffsetClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

// Advance adds d to the offset.
func (c *OffsetClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.offset += d
	c.mu.Unlock()
}
