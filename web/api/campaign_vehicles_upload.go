package api

import (
	"bufio"
	"errors"
	"io"
	"mime"
	"net/http"
	"os"

	"github.com/labstack/echo/v4"

	"reconnect/web/render"
)

// MaxListBytes is the campaign list upload's own body limit, in place of
// MAX_BODY_BYTES: a million VINs with line ends is about 18 MiB.
const MaxListBytes = 64 << 20

// CampaignVehiclesUpload makes the uploaded CSV (text/csv, one Smartcar
// vehicle id or VIN per line) a draft campaign's vehicle list, streamed
// through a temporary file, and answers how many lines matched a vehicle and the first 1,000
// that matched nothing.
func (h *Handler) CampaignVehiclesUpload(c echo.Context) error {
	if h.Campaigns == nil {
		return errCampaignsOff
	}
	id, err := campaignID(c)
	if err != nil {
		return err
	}
	req := c.Request()
	if mt, _, err := mime.ParseMediaType(req.Header.Get(echo.HeaderContentType)); err != nil || mt != "text/csv" {
		return &render.APIError{Status: http.StatusUnsupportedMediaType, Code: "unsupported_media_type",
			Message: "send the list as text/csv, one Smartcar vehicle id or VIN per line"}
	}
	if req.ContentLength > MaxListBytes {
		return errListTooLarge
	}
	// Spool the body to a temporary file first: the list is written in one
	// transaction, which must not wait on a slow client (on SQLite it holds
	// the only write lock).
	f, err := os.CreateTemp("", "campaign-list-*.csv")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	if _, err := io.Copy(f, http.MaxBytesReader(c.Response(), req.Body, MaxListBytes)); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return errListTooLarge
		}
		return render.ErrUnreadableBody
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	res, err := h.Campaigns.UploadList(req.Context(), id, bufio.NewReaderSize(f, 64<<10))
	if err != nil {
		return campaignError(err)
	}
	return c.JSON(http.StatusOK, map[string]any{
		"lines": res.Lines, "distinct": res.Distinct, "matched": res.Matched,
		"unmatched_count": res.UnmatchedCount, "unmatched": res.Unmatched,
	})
}

var errListTooLarge = &render.APIError{Status: http.StatusRequestEntityTooLarge, Code: "payload_too_large",
	Message: "a campaign's vehicle list is limited to 64 MiB"}
