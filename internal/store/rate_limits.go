// Table rate_limits: fixed-window counters shared by every instance.

package store

import (
	"context"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

type rateLimit struct {
	Bucket      string
	WindowStart time.Time
	Hits        int
}

func (rateLimit) TableName() string { return "rate_limits" }

// Hit counts one attempt in a fixed window and reports whether it is within
// max. The count lives in the database so every instance shares it.
func (s *Store) Hit(ctx context.Context, bucket string, window time.Duration, max int) (bool, error) {
	start := s.now().Truncate(window)
	var hits int
	err := s.q(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "bucket"}, {Name: "window_start"}},
			DoUpdates: clause.Assignments(map[string]any{"hits": gorm.Expr("rate_limits.hits + 1")}),
		}).Create(&rateLimit{Bucket: bucket, WindowStart: start, Hits: 1}).Error; err != nil {
			return err
		}
		return tx.Model(&rateLimit{}).Select("hits").Where("bucket = ? AND window_start = ?", bucket, start).Scan(&hits).Error
	})
	if err != nil {
		return false, wrap(err, "rate limit %s", bucket)
	}
	return hits <= max, nil
}

// Hits is the count of bucket's current window, without counting one more.
func (s *Store) Hits(ctx context.Context, bucket string, window time.Duration) (int, error) {
	var hits int
	err := s.q(ctx).Model(&rateLimit{}).Select("COALESCE(MAX(hits), 0)").
		Where("bucket = ? AND window_start = ?", bucket, s.now().Truncate(window)).Scan(&hits).Error
	return hits, wrap(err, "rate limit %s", bucket)
}

// Take counts one send in bucket's current fixed window if the window
// still has room under max, and reports whether it did. Unlike Hit, a
// refused attempt is not counted, so a sender that waits for the next
// window is not held back by its own retries.
//
// The check and the count are one conditional upsert: PostgreSQL takes the
// window's row lock for it, so two instances (or two workers) never both
// take the last slot; SQLite has one connection. Inside a transaction the
// slot is held until it commits, and given back if it rolls back.
func (s *Store) Take(ctx context.Context, bucket string, window time.Duration, max int) (bool, error) {
	start := s.now().Truncate(window)
	res := s.q(ctx).Exec(`INSERT INTO rate_limits (bucket, window_start, hits) VALUES (?, ?, 1)
		ON CONFLICT (bucket, window_start) DO UPDATE SET hits = rate_limits.hits + 1 WHERE rate_limits.hits < ?`,
		bucket, start, max)
	if res.Error != nil {
		return false, wrap(res.Error, "take from rate limit %s", bucket)
	}
	return res.RowsAffected == 1, nil
}

// Enqueue counts one more in bucket's current window and returns the count
// with it: the caller's place among those counted in the window.
func (s *Store) Enqueue(ctx context.Context, bucket string, window time.Duration) (int, error) {
	start := s.now().Truncate(window)
	var n int
	err := s.q(ctx).Raw(`INSERT INTO rate_limits (bucket, window_start, hits) VALUES (?, ?, 1)
		ON CONFLICT (bucket, window_start) DO UPDATE SET hits = rate_limits.hits + 1 RETURNING hits`,
		bucket, start).Scan(&n).Error
	return n, wrap(err, "queue in %s", bucket)
}
