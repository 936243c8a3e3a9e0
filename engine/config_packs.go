package engine

import "sync"

// packCache holds the parsed built-in packs (loaded once from PacksFS).
type packCache struct {
	once sync.Once
}
