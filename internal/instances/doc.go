// Package instances holds the test of several Reconnect instances on one
// PostgreSQL database: three real `reconnect serve` processes behind a
// round-robin proxy, a burst of Smartcar webhooks with duplicates sent to
// different instances at once, one instance killed and restarted in the
// middle, and the outcome checked where the outside world sees it (the
// host's webhook receiver, an SMTP server) and in the database. It has no
// code of its own; see instances_test.go.
package instances
