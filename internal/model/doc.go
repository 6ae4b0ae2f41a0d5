// Package model is Reconnect's vocabulary: owners, vehicles and their timeline
// events, the connection states and what each state lets an owner do, and the
// kinds, sources and audit actions that the rest of the code writes and reads.
// Every word that decides behaviour is declared here once, as a typed
// constant; the layers above import it, and it imports nothing of ours.
package model
