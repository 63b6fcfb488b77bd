package signin

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestThrottleDelay(t *testing.T) {
	th := Throttle{}.withDefaults()
	for failures, want := range map[int64]time.Duration{
		0: 0, 4: 0, 5: 30 * time.Second, 6: time.Minute, 7: 2 * time.Minute, 9: 8 * time.Minute,
		10: 15 * time.Minute, 11: 15 * time.Minute, 99: 15 * time.Minute, 100: 24 * time.Hour, 1 << 40: 24 * time.Hour,
	} {
		assert.Equal(t, want, th.delay(failures), "after %d failures", failures)
	}
	assert.Equal(t, "1", retryAfter(time.Millisecond))
	assert.Equal(t, "30", retryAfter(30*time.Second))
	assert.Equal(t, "31", retryAfter(30*time.Second+time.Microsecond))
}
