package campaign

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"

	"reconnect/internal/model"
	"reconnect/internal/store"
)

// Limits on an uploaded vehicle list.
const (
	// MaxListLines is how many lines an uploaded list may hold.
	MaxListLines = 1_000_000
	// MaxUnmatchedShown is how many unmatched lines an upload reports.
	MaxUnmatchedShown = 1000
	// listBatch is how many lines go to the database at once.
	listBatch = 5000
)

// ListResult says what an uploaded list matched.
type ListResult struct {
	// Lines is how many non-empty lines the upload had; Distinct how many
	// different ids or VINs among them.
	Lines    int64
	Distinct int64
	// Matched is how many distinct lines name a vehicle we know (by Smartcar
	// id or VIN); Unmatched holds the first MaxUnmatchedShown that do not,
	// sorted, and UnmatchedCount how many there are in all.
	Matched        int64
	UnmatchedCount int64
	Unmatched      []string
}

// UploadList makes the lines of r a draft campaign's explicit vehicle
// list, replacing any earlier one: CSV, one Smartcar vehicle id or VIN per
// line (the first field; blank lines skipped), read as a stream and
// written in batches inside one transaction, so memory stays flat and a
// failed upload leaves the old list. More than MaxListLines lines, a line
// over MaxRefLen, or text that is not CSV is a *FieldError on "file";
// ErrTransition unless the campaign is a draft. An error from r (such as a
// size limit) is returned as is.
func (s *Service) UploadList(ctx context.Context, id int64, r io.Reader) (ListResult, error) {
	var res ListResult
	err := s.store.Tx(ctx, func(tx *store.Store) error {
		res = ListResult{}
		c, err := tx.LockCampaign(ctx, id)
		if err != nil {
			return err
		}
		if c.State != model.CampaignDraft {
			return fmt.Errorf("%w: the list of a %s campaign cannot change", ErrTransition, c.State)
		}
		if err := tx.ClearCampaignTargets(ctx, id); err != nil {
			return err
		}
		cr := csv.NewReader(r)
		cr.FieldsPerRecord, cr.ReuseRecord, cr.LazyQuotes = -1, true, true
		batch := make([]string, 0, listBatch)
		flush := func() error {
			err := tx.AddCampaignTargets(ctx, id, batch)
			batch = batch[:0]
			return err
		}
		for {
			rec, err := cr.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return fieldErr("file", "is not CSV (line %d): %v", pe.Line, pe.Err)
			}
			if err != nil {
				return err
			}
			ref := strings.TrimSpace(rec[0])
			if ref == "" {
				continue
			}
			res.Lines++
			if res.Lines > MaxListLines {
				return fieldErr("file", "holds more than %d lines", MaxListLines)
			}
			if len(ref) > MaxRefLen {
				line, _ := cr.FieldPos(0)
				return fieldErr("file", "line %d is longer than %d characters: one Smartcar vehicle id or VIN per line", line, MaxRefLen)
			}
			if batch = append(batch, ref); len(batch) == listBatch {
				if err := flush(); err != nil {
					return err
				}
			}
		}
		if err := flush(); err != nil {
			return err
		}
		m, err := tx.MatchCampaignTargets(ctx, id, MaxUnmatchedShown)
		if err != nil {
			return err
		}
		res.Distinct, res.Matched, res.UnmatchedCount, res.Unmatched = m.Lines, m.Matched, m.Lines-m.Matched, m.Unmatched
		c.HasVehicleList = m.Lines > 0
		_, err = tx.SaveCampaignRules(ctx, c)
		return err
	})
	return res, err
}
