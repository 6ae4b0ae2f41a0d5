package api_test

import (
	"bytes"
	"context"
	"database/sql"
	"net/http"
	"strings"
	"testing"
	"time"

	"reconnect/internal/database"
	"reconnect/internal/dbtest"
	"reconnect/internal/model"
	"reconnect/internal/notify"
	"reconnect/internal/store"
	"reconnect/web/webtest"
)

// personal is everything the erased owner is known by; none of it may be
// left in any column of any table afterwards.
type personal struct {
	hostID, email, name, timeZone, phone, vin, nickname, smartcarID, smartcarUser string
	tag                                                                           string   // ids of ours that are not personal
	secrets                                                                       []string // tokens, hashes, session ids, subjects…
}

// seed gives the owner a row in every table that can hold their data.
func seed(t *testing.T, d *webtest.Detection, p *personal) model.Owner {
	t.Helper()
	ctx := context.Background()
	st := d.Store
	o, err := st.UpsertOwner(ctx, store.OwnerInput{HostUserID: p.hostID, Email: p.email, Name: p.name, Locale: "de-AT", TimeZone: p.timeZone, Phone: p.phone})
	if err != nil {
		t.Fatal(err)
	}
	// A webhook about the car, naming the person by the host's and
	// Smartcar's ids, recorded and applied.
	body := webtest.VehicleErrorBody("ev-"+p.tag, p.smartcarID, "CONNECTED_SERVICES_ACCOUNT", "AUTHENTICATION_FAILED", "ERROR")
	body = bytes.ReplaceAll(body, []byte(`"externalId":"host-1"`), []byte(`"externalId":"`+p.hostID+`","vin":"`+p.vin+`"`))
	body = bytes.ReplaceAll(body, []byte(`"id":"u-1"`), []byte(`"id":"`+p.smartcarUser+`"`))
	if status, _ := d.Webhook(body, webtest.Sign(body)); status != 200 {
		t.Fatal(status)
	}
	if err := d.Ingest.Processor().Drain(ctx); err != nil {
		t.Fatal(err)
	}
	v, err := st.UpsertVehicle(ctx, store.VehicleInput{SmartcarID: p.smartcarID, OwnerID: &o.ID, SmartcarUserID: p.smartcarUser, ExternalID: p.hostID, Make: "VW", Model: "Beetle", Year: 1972, VIN: p.vin, Nickname: p.nickname})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(st.SaveToken(ctx, store.SmartcarToken{SmartcarUserID: p.smartcarUser, OwnerID: &o.ID, AccessToken: "access-" + p.hostID, RefreshToken: "refresh-" + p.hostID, AccessExpiresAt: now.Add(time.Hour), RefreshExpiresAt: now.Add(time.Hour)}))
	l, err := st.CreateLink(ctx, store.OwnerLink{TokenHash: "linkhash-" + p.hostID, OwnerID: o.ID, VehicleID: &v.ID, Purpose: model.PurposeEmail, ReturnURL: "https://app.example.com/u/" + p.hostID, Source: model.SourceEmail, SourceRef: "<msg-" + p.hostID + "@example.com>", ExpiresAt: now.Add(time.Hour)})
	must(err)
	_, err = st.CreateConnectState(ctx, store.ConnectState{StateHash: "statehash-" + p.hostID, SessionID: "session-" + p.hostID, OwnerID: o.ID, VehicleID: &v.ID, LinkID: &l.ID, Flow: "reauth", ExpiresAt: now.Add(time.Hour)})
	must(err)
	e, err := st.CreateEmail(ctx, store.EmailMessage{MessageID: "<mail-" + p.tag + "@example.com>", DedupeKey: "dk-" + p.tag, OwnerID: o.ID, VehicleID: &v.ID, Kind: "digest", Status: "failed", ToAddress: p.email, Subject: p.nickname + " needs you", Error: "550 <" + p.email + ">: no such user"})
	must(err)
	unsub, err := st.NewUnsubscribeToken(ctx, o.ID, &e.ID)
	must(err)
	must(st.AddEvent(ctx, model.Event{OwnerID: &o.ID, VehicleID: &v.ID, Kind: model.EventEmailFailed, Source: model.SourceEmail, Detail: `{"to":"` + p.email + `"}`}))
	_, err = st.CreateHostDelivery(ctx, store.HostDelivery{MessageID: "msg_" + p.tag, EventType: "vehicle.disconnected", VehicleID: &v.ID, OwnerID: &o.ID, URL: "https://app.example.com/hook", Payload: `{"host_user_id":"` + p.hostID + `","vehicle_id":"` + p.smartcarID + `"}`, LastError: "400 unknown user " + p.hostID})
	must(err)
	staff, err := st.CreateStaff(ctx, store.Staff{Email: "sam-" + p.tag + "@support.example", Role: store.RoleAgent})
	must(err)
	_, err = st.CreateImpersonation(ctx, store.Impersonation{StaffID: staff.ID, OwnerID: o.ID, Reason: "call from " + p.name + " about " + p.vin, StartedAt: now, ExpiresAt: now.Add(time.Minute)})
	must(err)
	// Jobs that lead to the owner: the schedule's wake-up and an email.
	must(st.Tx(ctx, func(tx *store.Store) error {
		if _, err := d.Jobs.InsertTx(ctx, tx.DB(), notify.OwnerArgs{OwnerID: o.ID}, nil); err != nil {
			return err
		}
		_, err := d.Jobs.InsertTx(ctx, tx.DB(), notify.EmailArgs{EmailID: e.ID}, nil)
		return err
	}))
	p.secrets = append(p.secrets, "access-"+p.hostID, "refresh-"+p.hostID, "linkhash-"+p.hostID, "statehash-"+p.hostID,
		"session-"+p.hostID, store.HashSecret(unsub), p.nickname+" needs you", "<msg-"+p.hostID+"@example.com>")
	return o
}

func (p personal) values() []string {
	return append([]string{p.hostID, p.email, p.name, p.timeZone, p.phone, p.vin, p.nickname, p.smartcarID, p.smartcarUser}, p.secrets...)
}

// findEverywhere reports every column of every table holding one of the
// values, reading the catalog so that no table is missed.
func findEverywhere(t *testing.T, db *database.DB, values []string) []string {
	t.Helper()
	var found []string
	for _, c := range dbtest.Catalog(t, db) {
		var cells []sql.NullString
		if err := db.Gorm.Raw("SELECT " + dbtest.TextOf(db, c) + " FROM " + c.Table).Scan(&cells).Error; err != nil {
			t.Fatalf("%s.%s: %v", c.Table, c.Name, err)
		}
		for _, cell := range cells {
			for _, v := range values {
				if strings.Contains(cell.String, v) {
					found = append(found, c.Table+"."+c.Name+" holds "+v)
				}
			}
		}
	}
	return found
}

func TestDeletingAnOwnerLeavesNoneOfTheirPersonalDataInAnyTable(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		d := webtest.NewDetection(t, db)
		ctx := context.Background()
		erin := personal{hostID: "host-erin-77", email: "erin.erasure@example.com", name: "Erin Erasure", timeZone: "Pacific/Chatham", phone: "+6430123456",
			vin: "WVWZZZ1JZERASE042", nickname: "Erin's Beetle", smartcarID: "veh-erin-1", smartcarUser: "scu-erin-1", tag: "t1"}
		bo := personal{hostID: "host-bo-88", email: "bo.bystander@example.com", name: "Bo Bystander", timeZone: "Asia/Kathmandu", phone: "+97714123456",
			vin: "WVWZZZ1JZBYSTA088", nickname: "Bo's Bus", smartcarID: "veh-bo-1", smartcarUser: "scu-bo-1", tag: "t2"}
		o := seed(t, d, &erin)
		seed(t, d, &bo)
		if found := findEverywhere(t, db, erin.values()); len(found) < 10 {
			t.Fatalf("the seed does not reach enough tables to prove anything: %v", found)
		}

		if status, body := d.API(http.MethodDelete, "/api/v1/owners/"+erin.hostID, nil); status != http.StatusNoContent {
			t.Fatalf("erase: %d %v", status, body)
		}
		if found := findEverywhere(t, db, erin.values()); len(found) != 0 {
			t.Fatalf("left behind after erasure:\n%s", strings.Join(found, "\n"))
		}
		// The bystander keeps everything.
		if found := findEverywhere(t, db, bo.values()); len(found) < 10 {
			t.Fatalf("the erasure reached another owner: only %v left", found)
		}

		// What stays: the rows (states, counts) and the pseudonym, and the
		// erasure itself in the audit log.
		after, err := d.Store.OwnerByID(ctx, o.ID)
		if err != nil || after.AuditID != o.AuditID || after.Email != "" || after.Locale != "" {
			t.Fatalf("owner row after erasure: %+v %v", after, err)
		}
		vs, _ := d.Store.VehiclesByOwner(ctx, o.ID)
		if len(vs) != 1 || vs[0].State != model.StateNeedsReauth || vs[0].Make != "VW" {
			t.Fatalf("the car's state and make are kept for counts: %+v", vs)
		}
		es, _ := d.Store.AuditEntries(ctx, store.AuditFilter{Action: model.AuditOwnerErased})
		if len(es) != 1 || es[0].OwnerRef != o.AuditID || *es[0].OwnerID != o.ID || !strings.HasPrefix(es[0].StaffEmail, "(API key") {
			t.Fatalf("audit: %+v", es)
		}
		// Their jobs are gone; the bystander's stay.
		var jobs []string
		db.Gorm.Raw("SELECT kind FROM river_job ORDER BY id").Scan(&jobs)
		if want := (notify.OwnerArgs{}).Kind() + "," + (notify.EmailArgs{}).Kind(); strings.Join(jobs, ",") != want {
			t.Fatalf("jobs left: %v", jobs)
		}

		// A repeat, and an owner never known, answer 404.
		for _, id := range []string{erin.hostID, "nobody"} {
			if status, body := d.API(http.MethodDelete, "/api/v1/owners/"+id, nil); status != http.StatusNotFound || webtest.ErrorCode(body) != "owner_not_found" {
				t.Fatalf("delete %s: %d %v", id, status, body)
			}
		}
		if status, _ := d.Do(http.MethodDelete, "/api/v1/owners/"+bo.hostID, nil, nil); status != http.StatusUnauthorized {
			t.Fatalf("without a key: %d", status)
		}
		// The host may add the person again: a new owner, nothing shared.
		if status, _ := d.API(http.MethodPut, "/api/v1/owners/"+erin.hostID, []byte(`{"email":"erin.erasure@example.com"}`)); status != 200 {
			t.Fatalf("re-add: %d", status)
		}
		again, _ := d.Store.OwnerByHostID(ctx, erin.hostID)
		if again.ID == o.ID || again.AuditID == o.AuditID {
			t.Fatalf("the re-added owner is the erased one: %+v", again)
		}
	})
}
