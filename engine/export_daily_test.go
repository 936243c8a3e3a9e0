package engine

// DailyFromIntradayForTest exposes dailyFromIntraday to the external tests.
var DailyFromIntradayForTest = dailyFromIntraday
