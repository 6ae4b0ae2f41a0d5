-- +goose Up
-- When a car last changed hands (or seemed to), so that the console can flag it.
ALTER TABLE vehicles ADD COLUMN owner_changed_at DATETIME;

-- A timeline belongs to the owner the car had when each entry was written,
-- so that a car's next owner never sees the previous owner's history. Until
-- now entries written before the host named a car's owner carried none and
-- were found through the car; give them that owner, the only one the car
-- has had.
UPDATE vehicle_events SET owner_id = (SELECT v.owner_id FROM vehicles v WHERE v.id = vehicle_events.vehicle_id)
WHERE owner_id IS NULL AND vehicle_id IS NOT NULL
  AND EXISTS (SELECT 1 FROM vehicles v WHERE v.id = vehicle_events.vehicle_id AND v.owner_id IS NOT NULL);

-- +goose Down
ALTER TABLE vehicles DROP COLUMN owner_changed_at;
