package campaign

import (
	"context"
	"io"
	"strconv"
	"time"

	"reconnect/internal/csvexport"
	"reconnect/internal/store"
)

// VehiclesCSVHeader names the columns of a campaign's vehicle export.
var VehiclesCSVHeader = []string{"host_user_id", "vehicle_id", "vin", "make", "model", "year", "country", "step",
	"declined_reason", "last_notice_sent_at", "completed_at"}

// ExportFlushRows is how many rows the export writes between two flushes:
// small enough that the first rows reach the reader at once, large enough
// that a million rows are not a million network writes.
const ExportFlushRows = 100

// WriteVehiclesCSV writes one CSV row per vehicle of campaign id (by
// vehicle id, after VehiclesCSVHeader) to w as the rows come from the
// database, so memory stays flat however large the cohort. Every cell goes
// through csvexport. After the header and every ExportFlushRows rows it
// hands the bytes to w and calls flush with the rows written so far (nil:
// no flush), so an HTTP response streams. Times are RFC 3339 in UTC, empty
// when the step was not reached. store.ErrNotFound when there is no such
// campaign; that is checked before anything is written.
func (s *Service) WriteVehiclesCSV(ctx context.Context, id int64, w io.Writer, flush func(rows int64)) error {
	if _, err := s.store.CampaignByID(ctx, id); err != nil {
		return err
	}
	out := csvexport.NewWriter(w)
	push := func(n int64) error {
		if err := out.Flush(); err != nil {
			return err
		}
		if flush != nil {
			flush(n)
		}
		return nil
	}
	if err := out.Write(VehiclesCSVHeader); err != nil {
		return err
	}
	if err := push(0); err != nil {
		return err
	}
	var n int64
	row := make([]string, len(VehiclesCSVHeader))
	err := s.store.EachCampaignExportRow(ctx, id, func(r store.CampaignExportRow) error {
		row[0], row[1], row[2], row[3], row[4] = r.HostUserID, r.SmartcarID, r.VIN, r.Make, r.Model
		row[5], row[6], row[7], row[8] = "", r.Country, string(r.Step), r.DeclinedReason
		if r.Year > 0 {
			row[5] = strconv.Itoa(r.Year)
		}
		row[9], row[10] = csvTime(r.LastNoticeAt), csvTime(r.CompletedAt)
		if err := out.Write(row); err != nil {
			return err
		}
		if n++; n%ExportFlushRows == 0 {
			return push(n)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return push(n)
}

func csvTime(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
