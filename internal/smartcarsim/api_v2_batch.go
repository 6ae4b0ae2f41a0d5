package smartcarsim

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
)

// batchRequest is the body the official SDKs send to
// POST /v2.0/vehicles/{id}/batch: {"requests":[{"path":"/odometer"},…]}.
type batchRequest struct {
	Requests []struct {
		Path *string `json:"path"`
	} `json:"requests"`
}

// batchItem is one entry of the answer's "responses": the item's own status
// in "code", its body (data, or an ordinary v2 error body) and its headers
// in lower case.
type batchItem struct {
	Path    string            `json:"path"`
	Code    int               `json:"code"`
	Body    any               `json:"body"`
	Headers map[string]string `json:"headers"`
}

// v2Batch answers several reads of one vehicle in one request. The token,
// the vehicle and the body are checked once, for the whole batch; after
// that the batch is a 200 and every item carries its own status, so a car
// whose owner must re-authenticate fails every item that reaches the car,
// while a missing scope fails only the items that need it.
func (s *Sim) v2Batch(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.v2TokenLocked(w, r)
	if !ok {
		return
	}
	_, c, ok := s.v2VehicleLocked(w, r, t)
	if !ok {
		return
	}
	var req batchRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&req); err != nil {
		s.writeV2ErrorLocked(w, validationError("PARAMETER", `The body must be JSON: {"requests":[{"path":"/odometer"}]}.`))
		return
	}
	if len(req.Requests) == 0 {
		s.writeV2ErrorLocked(w, validationError("PARAMETER", `"requests" must list at least one {"path": …}.`))
		return
	}
	for i, item := range req.Requests {
		if item.Path == nil {
			s.writeV2ErrorLocked(w, validationError("PARAMETER", `"requests[`+strconv.Itoa(i)+`].path" is required.`))
			return
		}
	}

	unit := w.Header().Get("SC-Unit-System")
	publicURL := s.publicURL(r)
	responses := make([]batchItem, 0, len(req.Requests))
	for _, item := range req.Requests {
		path, q := batchPath(*item.Path)
		out := batchItem{Path: path, Code: http.StatusOK, Headers: map[string]string{"sc-unit-system": unit}}
		rd, known := v2Reads[path]
		var e *apiError
		if known {
			out.Body, e = s.v2ReadLocked(rd, c, q, publicURL, unit == "imperial")
		} else {
			nf := notFoundError("PATH", "The requested path does not exist or cannot be batched.")
			e = &nf
		}
		switch {
		case e != nil:
			out.Code = e.status
			out.Body = e.v2Body(requestID(w), s.switches.LegacyResolution)
			if e.retryAfter > 0 {
				out.Headers["retry-after"] = strconv.Itoa(e.retryAfter)
			}
		case rd.vehicleData:
			for k, v := range s.v2DataHeaders() {
				out.Headers[strings.ToLower(k)] = v
			}
		}
		responses = append(responses, out)
	}
	writeJSON(w, http.StatusOK, map[string][]batchItem{"responses": responses})
}
