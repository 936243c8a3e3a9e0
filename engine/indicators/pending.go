package indicators

import "errors"

// errNotYet marks indicators whose implementation is in progress.
var errNotYet = errors.New("not implemented yet")

func ivRealizedSpread(c *call) ([]Column, error) { return nil, errNotYet }
func ivSkew25(c *call) ([]Column, error) { return nil, errNotYet }
func ivTermSlope(c *call) ([]Column, error) { return nil, errNotYet }
func ivRank(c *call) ([]Column, error) { return nil, errNotYet }
func ivPercentile(c *call) ([]Column, error) { return nil, errNotYet }
func atmIVZScore(c *call) ([]Column, error) { return nil, errNotYet }
func atmIVEOD(c *call) ([]Column, error) { return nil, errNotYet }
func divEOD(c *call) ([]Column, error) { return nil, errNotYet }
func atmIVOpenDelta(c *call) ([]Column, error) { return nil, errNotYet }
func ivSmileWings(c *call) ([]Column, error) { return nil, errNotYet }
func pcrOI(c *call) ([]Column, error) { return nil, errNotYet }
func oiChange1d(c *call) ([]Column, error) { return nil, errNotYet }
func oiTrend(c *call) ([]Column, error) { return nil, errNotYet }
func oiPeakStrike(c *call) ([]Column, error) { return nil, errNotYet }
func distToOIPeak(c *call) ([]Column, error) { return nil, errNotYet }
func oiHHI(c *call) ([]Column, error) { return nil, errNotYet }
func gammaPeakStrike(c *call) ([]Column, error) { return nil, errNotYet }
func gammaDensityPeak(c *call) ([]Column, error) { return nil, errNotYet }
func distToGammaPeak(c *call) ([]Column, error) { return nil, errNotYet }
func gammaConcentration(c *call) ([]Column, error) { return nil, errNotYet }
func gammaSkew(c *call) ([]Column, error) { return nil, errNotYet }
