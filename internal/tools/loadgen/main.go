// Command loadgen measures the Smartcar webhook receiver: how many signed
// VEHICLE_ERROR deliveries per second it records durably, its
// acknowledgement latency at a fixed rate, its memory during a burst and how
// long the backlog takes to process, on SQLite and on PostgreSQL, against a
// bare Echo handler that only checks the signature (the ceiling). It runs
// everything on loopback and writes its results into docs/benchmarks.md.
//
//	go build -o bin/reconnect ./cmd/reconnect
//	go run ./internal/tools/loadgen -bin bin/reconnect -out docs/benchmarks.md
package main

import (
	"bufio"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // "pgx" for the throw-away schema
	"github.com/labstack/echo/v4"
	vegeta "github.com/tsenart/vegeta/v12/lib"

	"reconnect/internal/database"
	"reconnect/internal/smartcar"
	"reconnect/internal/store"
)

const amt = "bench-management-token"

type options struct {
	bin         string
	out         string
	pg          string
	dbs         string
	concurrency int
	rate        int
	maxFor      time.Duration
	latencyFor  time.Duration
	burst       int
}

func main() {
	var o options
	ceiling := flag.String("serve-ceiling", "", "internal: serve the bare signature-check handler on this address")
	target := flag.String("target", "", "only attack this running server (base URL) at the maximum rate and print the rate")
	flag.StringVar(&o.bin, "bin", "bin/reconnect", "the reconnect binary to measure")
	flag.StringVar(&o.out, "out", "", "markdown file whose benchmark section is replaced with the results (stdout if empty)")
	flag.StringVar(&o.pg, "pg", firstEnv("BENCH_DATABASE_URL", "TEST_DATABASE_URL"), "PostgreSQL URL; a throw-away schema is used and dropped")
	flag.StringVar(&o.dbs, "db", "sqlite,postgres", "databases to measure")
	flag.IntVar(&o.concurrency, "c", 50, "concurrent requests")
	flag.IntVar(&o.rate, "rate", 2000, "events per second for the latency run")
	flag.DurationVar(&o.maxFor, "max-for", 8*time.Second, "length of the maximum-rate run")
	flag.DurationVar(&o.latencyFor, "latency-for", 8*time.Second, "length of the fixed-rate run")
	flag.IntVar(&o.burst, "burst", 100_000, "events in the burst")
	flag.Parse()
	if *ceiling != "" {
		serveCeiling(*ceiling)
		return
	}
	// The generator shares the machine with the server it measures; fewer
	// collections leave more of the CPU to the server. The servers, the
	// ceiling included, keep the Go defaults.
	debug.SetGCPercent(400)
	if *target != "" {
		g := newEvents(fmt.Sprintf("t%d", time.Now().Unix()))
		rate, bad := maxRate(*target, g, o.concurrency, o.maxFor)
		fmt.Printf("maximum: %.0f events/s, %d non-2xx\n", rate, bad)
		p50, p99, got, bad := latency(*target, g, o.concurrency, o.rate, o.latencyFor)
		fmt.Printf("at %d/s: %.0f events/s, p50 %v, p99 %v, %d non-2xx\n", o.rate, got, p50, p99, bad)
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

func firstEnv(names ...string) string {
	for _, n := range names {
		if v := os.Getenv(n); v != "" {
			return v
		}
	}
	return ""
}

// serveCeiling is the reference: Echo, the raw body read once, the signature
// checked, 200. Nothing is stored.
func serveCeiling(addr string) {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.POST("/webhooks/smartcar", func(c echo.Context) error {
		body, err := io.ReadAll(io.LimitReader(c.Request().Body, 64<<10))
		if err != nil {
			return c.NoContent(http.StatusBadRequest)
		}
		if !smartcar.VerifySignature(body, c.Request().Header.Get("SC-Signature"), amt) {
			return c.NoContent(http.StatusUnauthorized)
		}
		return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
	})
	e.GET("/readyz", func(c echo.Context) error { return c.NoContent(http.StatusOK) })
	srv := &http.Server{Addr: addr, Handler: e, ReadHeaderTimeout: 5 * time.Second}
	if err := srv.ListenAndServe(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// result is one target's measurements.
type result struct {
	name        string
	maxRate     float64
	maxErrors   int
	cpuPerEvent time.Duration // server CPU per acknowledged event at the maximum rate
	p50, p99    time.Duration
	latRate     float64
	latErrors   int
	burstRate   float64
	burstErrors int
	peakRSS     int64 // bytes, sampled during the burst and its drain
	drain       time.Duration
	drainOK     bool
	// drainRate is the burst's state changes (one per event: each is for a
	// vehicle never seen) applied per second once the last one was
	// acknowledged: those still pending then over the time to apply them.
	drainRate float64
	skipped   string
}

func run(ctx context.Context, o options) error {
	if _, err := os.Stat(o.bin); err != nil {
		return fmt.Errorf("%s: build it first (go build -o %s ./cmd/reconnect): %w", o.bin, o.bin, err)
	}
	started := time.Now()
	var results []result

	self, err := os.Executable()
	if err != nil {
		return err
	}
	fmt.Fprintln(os.Stderr, "== ceiling: bare Echo handler, signature check only")
	ceil, err := measureCeiling(ctx, o, self)
	if err != nil {
		return err
	}
	results = append(results, ceil)

	for _, db := range strings.Split(o.dbs, ",") {
		db = strings.TrimSpace(db)
		fmt.Fprintf(os.Stderr, "== %s\n", db)
		r, err := measureReconnect(ctx, o, db)
		if err != nil {
			return fmt.Errorf("%s: %w", db, err)
		}
		results = append(results, r)
	}
	report := render(o, results, time.Since(started))
	if o.out == "" {
		fmt.Print(report)
		return nil
	}
	return replaceSection(o.out, report)
}

// proc is a server under test, run as a child process so that its memory
// is its own.
type proc struct {
	cmd  *exec.Cmd
	url  string
	logs *strings.Builder
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

func startProc(ctx context.Context, name string, args, env []string, addr string) (*proc, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = env
	logs := &strings.Builder{}
	cmd.Stdout, cmd.Stderr = io.Discard, &limitedWriter{w: logs, n: 64 << 10}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &proc{cmd: cmd, url: "http://" + addr, logs: logs}
	deadline := time.Now().Add(60 * time.Second)
	for {
		res, err := http.Get(p.url + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return p, nil
			}
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			p.stop()
			return nil, fmt.Errorf("%s did not become ready: %s", name, logs)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (p *proc) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		_ = p.cmd.Process.Kill()
		<-done
	}
}

// cpu reads the process's user+system CPU time from /proc.
func (p *proc) cpu() time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	// Fields after the command name, which is in parentheses.
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * time.Second / 100 // USER_HZ
}

// rss reads the process's resident set from /proc, in bytes.
func (p *proc) rss() int64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

type limitedWriter struct {
	w io.Writer
	n int
}

func (l *limitedWriter) Write(b []byte) (int, error) {
	if l.n <= 0 {
		return len(b), nil
	}
	k := min(len(b), l.n)
	l.n -= k
	_, _ = l.w.Write(b[:k])
	return len(b), nil
}

func measureCeiling(ctx context.Context, o options, self string) (result, error) {
	r := result{name: "ceiling (Echo + signature check, nothing stored)"}
	addr, err := freeAddr()
	if err != nil {
		return r, err
	}
	p, err := startProc(ctx, self, []string{"-serve-ceiling", addr}, os.Environ(), addr)
	if err != nil {
		return r, err
	}
	defer p.stop()
	gen := newEvents("ceil")
	warmUp(p.url, gen)
	before := p.cpu()
	r.maxRate, r.maxErrors = maxRate(p.url, gen, o.concurrency, o.maxFor)
	r.cpuPerEvent = perEvent(p.cpu()-before, r.maxRate, o.maxFor)
	r.p50, r.p99, r.latRate, r.latErrors = latency(p.url, gen, o.concurrency, o.rate, o.latencyFor)
	return r, nil
}

func measureReconnect(ctx context.Context, o options, dialect string) (result, error) {
	r := result{name: dialect}
	dbURL, cleanup, err := freshDatabase(dialect, o.pg)
	if err != nil {
		r.skipped = err.Error()
		fmt.Fprintln(os.Stderr, "   skipped:", err)
		return r, nil
	}
	defer cleanup()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if err := database.Migrate(ctx, dbURL, log); err != nil {
		return r, err
	}
	db, err := database.Open(ctx, dbURL, log)
	if err != nil {
		return r, err
	}
	defer db.Close()
	st := store.New(db)

	start := func() (*proc, error) {
		addr, err := freeAddr()
		if err != nil {
			return nil, err
		}
		env := append(os.Environ(), "DATABASE_URL="+dbURL, "RECONNECT_ADDR="+addr, "PUBLIC_BASE_URL=http://"+addr,
			"SMARTCAR_MANAGEMENT_TOKEN="+amt, "LOG_LEVEL=warn", "RECONNECT_MIGRATE_ON_START=false")
		return startProc(ctx, o.bin, []string{"serve"}, env, addr)
	}
	p, err := start()
	if err != nil {
		return r, err
	}
	gen := newEvents(dialect)
	warmUp(p.url, gen)
	fmt.Fprintln(os.Stderr, "   maximum rate")
	before := p.cpu()
	r.maxRate, r.maxErrors = maxRate(p.url, gen, o.concurrency, o.maxFor)
	r.cpuPerEvent = perEvent(p.cpu()-before, r.maxRate, o.maxFor)
	waitDrained(ctx, st, 3*time.Minute)
	fmt.Fprintf(os.Stderr, "   %d/s fixed rate\n", o.rate)
	r.p50, r.p99, r.latRate, r.latErrors = latency(p.url, gen, o.concurrency, o.rate, o.latencyFor)
	waitDrained(ctx, st, 3*time.Minute)
	p.stop()

	// The burst runs on a fresh process so that its memory is the burst's.
	fmt.Fprintf(os.Stderr, "   burst of %d\n", o.burst)
	if p, err = start(); err != nil {
		return r, err
	}
	defer p.stop()
	var peak atomic.Int64
	sampling := make(chan struct{})
	go func() {
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			if v := p.rss(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-sampling:
				return
			case <-t.C:
			}
		}
	}()
	burst := newEvents(dialect + "-burst")
	burst.distinct = true
	r.burstRate, r.burstErrors = count(p.url, burst, o.concurrency, o.burst)
	endOfBurst := time.Now()
	left, _ := st.InboxPendingCount(ctx)
	r.drainOK = waitDrained(ctx, st, 10*time.Minute)
	r.drain = time.Since(endOfBurst)
	if r.drain > 0 {
		r.drainRate = float64(left) / r.drain.Seconds()
	}
	close(sampling)
	r.peakRSS = peak.Load()
	return r, nil
}

func perEvent(cpu time.Duration, rate float64, d time.Duration) time.Duration {
	if rate <= 0 {
		return 0
	}
	return time.Duration(float64(cpu) / (rate * d.Seconds()))
}

// freshDatabase returns a new empty database of the dialect and a cleanup.
func freshDatabase(dialect, pg string) (string, func(), error) {
	switch dialect {
	case "sqlite":
		dir, err := os.MkdirTemp("", "reconnect-bench-")
		if err != nil {
			return "", nil, err
		}
		return "sqlite:" + filepath.Join(dir, "bench.db"), func() { _ = os.RemoveAll(dir) }, nil
	case "postgres":
		if pg == "" {
			return "", nil, errors.New("no PostgreSQL: set BENCH_DATABASE_URL or TEST_DATABASE_URL")
		}
		admin, err := sql.Open("pgx", pg)
		if err != nil {
			return "", nil, err
		}
		b := make([]byte, 4)
		_, _ = rand.Read(b)
		schema := "bench_" + hex.EncodeToString(b)
		if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
			admin.Close()
			return "", nil, fmt.Errorf("create schema: %w", err)
		}
		u, err := url.Parse(pg)
		if err != nil {
			admin.Close()
			return "", nil, err
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		return u.String(), func() {
			_, _ = admin.Exec("DROP SCHEMA " + schema + " CASCADE")
			admin.Close()
		}, nil
	}
	return "", nil, fmt.Errorf("unknown database %q", dialect)
}

func waitDrained(ctx context.Context, st *store.Store, limit time.Duration) bool {
	deadline := time.Now().Add(limit)
	for ctx.Err() == nil && time.Now().Before(deadline) {
		n, err := st.InboxPendingCount(ctx)
		if err == nil && n == 0 {
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return false
}

// events makes signed ~1.5 KB VEHICLE_ERROR deliveries, each with a new
// eventId; vehicles repeat from a pool unless distinct is set (a migration:
// every vehicle breaks once).
type events struct {
	prefix   string
	n        atomic.Int64
	distinct bool
	limit    int64
}

func newEvents(prefix string) *events { return &events{prefix: prefix} }

const description = "Smartcar was unable to authenticate with the user's connected services account. This usually " +
	"happens when the vehicle owner changed the password of their connected services account, or when the carmaker " +
	"moved its accounts to a new platform and every owner has to sign in again. Smartcar sends this error once for each " +
	"affected vehicle, and a migration affects every vehicle of the make at about the same time."

// body builds one event by appending, so that the generator spends its CPU
// on sending rather than formatting.
func (g *events) body(i int64) []byte {
	vehicle := i % 5000
	if g.distinct {
		vehicle = i
	}
	num := func(b []byte, n int64, width int) []byte {
		s := strconv.FormatInt(n, 10)
		for k := len(s); k < width; k++ {
			b = append(b, '0')
		}
		return append(b, s...)
	}
	vid := num(append([]byte(g.prefix), "-veh-"...), vehicle, 7)
	b := make([]byte, 0, 1600)
	b = append(b, `{"eventId":"`...)
	b = num(append(append(b, g.prefix...), '-'), i, 9)
	b = append(b, `","eventType":"VEHICLE_ERROR","vehicleId":"`...)
	b = append(b, vid...)
	b = append(b, `","data":{"user":{"id":"`...)
	b = num(append(append(b, g.prefix...), "-user-"...), vehicle, 7)
	b = append(b, `","externalId":"`...)
	b = num(append(b, "host-"...), vehicle, 7)
	b = append(b, `"},"vehicle":{"id":"`...)
	b = append(b, vid...)
	b = append(b, `","make":"TESLA","model":"Model 3","year":2022,"mode":"live","powertrainType":"BEV","vin":"5YJ3E1EA7KF`...)
	b = num(b, vehicle%1_000_000, 6)
	b = append(b, `"},"errors":[{"type":"CONNECTED_SERVICES_ACCOUNT","code":"AUTHENTICATION_FAILED","state":"ERROR","statusCode":400,"requestId":"5dea93a1-3f79-4246-90ba-`...)
	b = num(b, i, 12)
	b = append(b, `","description":"`+description+`","suggestedUserMessage":"Your car got disconnected from ChargeWell. Please use this link to re-connect your car.","docURL":"https://smartcar.com/docs/errors/api-errors/connected-services-account-errors#authentication-failed","resolution":{"type":"REAUTHENTICATE","url":"https://connect.smartcar.com/oauth/reauthenticate?response_type=vehicle_id&client_id=8229df9f-91a0-4ff0-a1ae-a1f38ee24d07&vehicle_id=`...)
	b = append(b, vid...)
	b = append(b, `"},"signals":[]}]},"meta":{"version":"4.0","webhookId":"5e1c0a7b-93d4-4f2e-b8a6-0c9d1e2f3a4b","webhookName":"Reconnect","deliveryId":"`...)
	b = num(append(append(b, g.prefix...), "-d-"...), i, 9)
	b = append(b, `","deliveredAt":`...)
	b = strconv.AppendInt(b, time.Now().UnixMilli(), 10)
	b = append(b, `,"mode":"LIVE"}}`...)
	return b
}

func (g *events) targeter(base string) vegeta.Targeter {
	u := base + "/webhooks/smartcar"
	return func(t *vegeta.Target) error {
		i := g.n.Add(1) - 1
		if g.limit > 0 && i >= g.limit {
			return vegeta.ErrNoTargets
		}
		body := g.body(i)
		m := hmac.New(sha256.New, []byte(amt))
		m.Write(body)
		t.Method, t.URL, t.Body = http.MethodPost, u, body
		t.Header = http.Header{"Content-Type": {"application/json"}, "Sc-Signature": {hex.EncodeToString(m.Sum(nil))}}
		return nil
	}
}

func attacker(concurrency int) *vegeta.Attacker {
	return vegeta.NewAttacker(vegeta.Workers(uint64(concurrency)), vegeta.MaxWorkers(uint64(concurrency)),
		vegeta.Connections(concurrency), vegeta.MaxConnections(concurrency), vegeta.KeepAlive(true),
		vegeta.Timeout(20*time.Second))
}

func warmUp(base string, g *events) {
	a := attacker(10)
	for range a.Attack(g.targeter(base), vegeta.Rate{Freq: 500, Per: time.Second}, time.Second, "warm-up") {
	}
}

// maxRate sends as fast as concurrency allows for d and returns the rate of
// 2xx answers.
func maxRate(base string, g *events, concurrency int, d time.Duration) (float64, int) {
	a := attacker(concurrency)
	start := time.Now()
	ok, bad := 0, 0
	for res := range a.Attack(g.targeter(base), vegeta.Rate{Freq: 0}, d, "max") {
		if res.Code/100 == 2 {
			ok++
		} else {
			bad++
		}
	}
	return float64(ok) / time.Since(start).Seconds(), bad
}

// latency sends at a fixed rate and returns acknowledgement latencies.
func latency(base string, g *events, concurrency, rate int, d time.Duration) (p50, p99 time.Duration, achieved float64, bad int) {
	a := attacker(concurrency)
	var m vegeta.Metrics
	for res := range a.Attack(g.targeter(base), vegeta.Rate{Freq: rate, Per: time.Second}, d, "latency") {
		if res.Code/100 != 2 {
			bad++
			continue
		}
		m.Add(res)
	}
	m.Close()
	return m.Latencies.P50, m.Latencies.P99, m.Throughput, bad
}

// count sends n events as fast as concurrency allows.
func count(base string, g *events, concurrency, n int) (float64, int) {
	g.limit = int64(n)
	a := attacker(concurrency)
	start := time.Now()
	ok, bad := 0, 0
	for res := range a.Attack(g.targeter(base), vegeta.Rate{Freq: 0}, 0, "burst") {
		switch {
		case res.Code/100 == 2:
			ok++
		case res.Error == vegeta.ErrNoTargets.Error():
		default:
			bad++
		}
	}
	return float64(ok) / time.Since(start).Seconds(), bad
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "model name"); ok {
			return strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
		}
	}
	return runtime.GOARCH
}

func render(o options, rs []result, took time.Duration) string {
	var b strings.Builder
	ceil := rs[0]
	fmt.Fprintf(&b, "Measured %s on %d cores (%s), %s/%s, %s; concurrency %d, signed VEHICLE_ERROR bodies of ~%d bytes; the whole run took %s.\n\n",
		time.Now().UTC().Format("2006-01-02"), runtime.NumCPU(), cpuModel(), runtime.GOOS, runtime.GOARCH, runtime.Version(),
		o.concurrency, len(newEvents("x").body(1)), took.Round(time.Second))
	fmt.Fprintf(&b, "| | durable ingest (events/s) | ratio to ceiling | server CPU per event | ack p50 / p99 at %d/s | RSS peak, %d-event burst | burst rate (events/s) | drain after the burst | backlog applied (state changes/s) |\n", o.rate, o.burst)
	b.WriteString("|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range rs {
		if r.skipped != "" {
			fmt.Fprintf(&b, "| %s | skipped: %s | | | | | | | |\n", r.name, r.skipped)
			continue
		}
		ratio, burst, rss, drain, applied := "1.00", "–", "–", "–", "–"
		if r.name != ceil.name {
			ratio = fmt.Sprintf("%.2f", r.maxRate/ceil.maxRate)
			burst = fmt.Sprintf("%.0f", r.burstRate)
			rss = fmt.Sprintf("%.0f MiB", float64(r.peakRSS)/(1<<20))
			drain = fmt.Sprintf("%.1f s", r.drain.Seconds())
			if !r.drainOK {
				drain = "not drained in " + drain
			}
			applied = fmt.Sprintf("%.0f", r.drainRate)
		}
		errs := ""
		if n := r.maxErrors + r.latErrors + r.burstErrors; n > 0 {
			errs = fmt.Sprintf(" (%d non-2xx)", n)
		}
		fmt.Fprintf(&b, "| %s | %.0f%s | %s | %d µs | %s / %s | %s | %s | %s | %s |\n", r.name, r.maxRate, errs, ratio,
			r.cpuPerEvent.Microseconds(), r.p50.Round(10*time.Microsecond), r.p99.Round(10*time.Microsecond), rss, burst, drain, applied)
	}
	b.WriteString("\n")
	return b.String()
}

const (
	beginMark = "<!-- loadgen:begin -->"
	endMark   = "<!-- loadgen:end -->"
)

// replaceSection writes the report between the markers of path, keeping the
// prose around it.
func replaceSection(path, report string) error {
	old, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	s := string(old)
	i, j := strings.Index(s, beginMark), strings.Index(s, endMark)
	block := beginMark + "\n" + report + endMark
	if i < 0 || j < i {
		s = strings.TrimRight(s, "\n") + "\n\n" + block + "\n"
	} else {
		s = s[:i] + block + s[j+len(endMark):]
	}
	return os.WriteFile(path, []byte(s), 0o644)
}
