-- +goose Up
CREATE TABLE owners (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    host_user_id  TEXT NOT NULL UNIQUE,
    email         TEXT NOT NULL DEFAULT '',
    name          TEXT NOT NULL DEFAULT '',
    locale        TEXT NOT NULL DEFAULT '',
    time_zone     TEXT NOT NULL DEFAULT '',
    created_at    DATETIME NOT NULL,
    updated_at    DATETIME NOT NULL
);
CREATE INDEX owners_email ON owners (email);

CREATE TABLE vehicles (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    smartcar_id       TEXT NOT NULL UNIQUE,
    owner_id          INTEGER REFERENCES owners (id) ON DELETE SET NULL,
    smartcar_user_id  TEXT NOT NULL DEFAULT '',
    external_id       TEXT NOT NULL DEFAULT '',
    make              TEXT NOT NULL DEFAULT '',
    model             TEXT NOT NULL DEFAULT '',
    year              INTEGER NOT NULL DEFAULT 0,
    vin               TEXT NOT NULL DEFAULT '',
    nickname          TEXT NOT NULL DEFAULT '',
    state             TEXT NOT NULL DEFAULT 'connected',
    reason            TEXT NOT NULL DEFAULT '',
    reason_detail     TEXT NOT NULL DEFAULT '',
    resolution_url    TEXT NOT NULL DEFAULT '',
    state_changed_at  DATETIME NOT NULL,
    last_signal_at    DATETIME,
    created_at        DATETIME NOT NULL,
    updated_at        DATETIME NOT NULL
);
CREATE INDEX vehicles_owner ON vehicles (owner_id);
CREATE INDEX vehicles_vin ON vehicles (vin);
CREATE INDEX vehicles_state ON vehicles (state);
CREATE INDEX vehicles_smartcar_user ON vehicles (smartcar_user_id);
CREATE INDEX vehicles_external ON vehicles (external_id);

CREATE TABLE vehicle_events (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    vehicle_id   INTEGER REFERENCES vehicles (id) ON DELETE CASCADE,
    owner_id     INTEGER REFERENCES owners (id) ON DELETE CASCADE,
    kind         TEXT NOT NULL,
    source       TEXT NOT NULL DEFAULT '',
    from_state   TEXT NOT NULL DEFAULT '',
    to_state     TEXT NOT NULL DEFAULT '',
    detail       TEXT NOT NULL DEFAULT '',
    occurred_at  DATETIME NOT NULL,
    created_at   DATETIME NOT NULL
);
CREATE INDEX vehicle_events_vehicle ON vehicle_events (vehicle_id, id);
CREATE INDEX vehicle_events_owner ON vehicle_events (owner_id, id);

-- +goose Down
DROP TABLE vehicle_events;
DROP TABLE vehicles;
DROP TABLE owners;
