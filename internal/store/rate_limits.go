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
