package timeline

import (
	"context"
	"io"
	"strconv"
	"time"

	"reconnect/internal/csvexport"
	"reconnect/internal/model"
	"reconnect/internal/store"
	"reconnect/internal/vehicletext"
)

// CSVHeader names the export's columns: the sentence staff read beside the
// stored values a developer filters on.
var CSVHeader = []string{"event_id", "occurred_at", "vehicle_id", "vehicle", "what", "kind", "source", "from_state", "to_state", "detail"}

// exportPage is how many events are read at a time, so an owner with a long
// history streams out without being held in memory.
const exportPage = 500

// WriteCSV writes an owner's whole timeline, newest first, as CSV, a page at
// a time. Every cell goes through csvexport, so a payload that starts like a
// formula stays text in a spreadsheet.
func WriteCSV(ctx context.Context, st *store.Store, w io.Writer, ownerID int64) error {
	vs, err := st.VehiclesByOwner(ctx, ownerID)
	if err != nil {
		return err
	}
	smartcarIDs, titles := map[int64]string{}, map[int64]string{}
	for _, v := range vs {
		smartcarIDs[v.ID], titles[v.ID] = v.SmartcarID, vehicletext.Title(v)
	}
	out := csvexport.NewWriter(w)
	if err := out.Write(CSVHeader); err != nil {
		return err
	}
	var f Facts
	before := int64(0)
	for {
		evs, err := st.OwnerTimeline(ctx, ownerID, store.Page{Before: before, Limit: exportPage})
		if err != nil {
			return err
		}
		if before == 0 {
			if f, err = Gather(ctx, st, ownerID, vs, evs); err != nil {
				return err
			}
		} else if err := f.learn(ctx, st, evs); err != nil {
			return err
		}
		for _, e := range evs {
			if err := out.Write(csvRow(e, f, smartcarIDs, titles)); err != nil {
				return err
			}
		}
		if err := out.Flush(); err != nil {
			return err
		}
		if len(evs) < exportPage {
			return nil
		}
		before = evs[len(evs)-1].ID
	}
}

func csvRow(e model.Event, f Facts, smartcarIDs, titles map[int64]string) []string {
	var vid, title string
	if e.VehicleID != nil {
		vid, title = smartcarIDs[*e.VehicleID], titles[*e.VehicleID]
	}
	return []string{strconv.FormatInt(e.ID, 10), e.OccurredAt.UTC().Format(time.RFC3339), vid, title,
		Sentence(e, f), string(e.Kind), string(e.Source), string(e.FromState), string(e.ToState), e.Detail}
}
