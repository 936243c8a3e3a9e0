package gbdt

// Histogram kernels. Each sums one node's packed quantised gradients into the
// histograms of up to four features at once: loading a row's value once for
// four features is faster than four single-feature passes.

type histArr = [histSlots]int64

// histDense sums rows 0..len(q)-1 (no row index) into hs for the columns cs.
func histDense(hs []*histArr, cs [][]uint8, q []int64) {
	n := len(q)
	switch len(cs) {
	case 4:
		h0, h1, h2, h3 := hs[0], hs[1], hs[2], hs[3]
		c0, c1, c2, c3 := cs[0][:n], cs[1][:n], cs[2][:n], cs[3][:n]
		for r, v := range q {
			h0[c0[r]] += v
			h1[c1[r]] += v
			h2[c2[r]] += v
			h3[c3[r]] += v
		}
	default:
		for j := range cs {
			h0 := hs[j]
			for r, b := range cs[j][:n] {
				h0[b] += q[r]
			}
		}
	}
}

// histRows sums the rows idx (with values oq gathered in idx order).
func histRows(hs []*histArr, cs [][]uint8, idx []int32, oq []int64) {
	oq = oq[:len(idx)]
	switch len(cs) {
	case 4:
		h0, h1, h2, h3 := hs[0], hs[1], hs[2], hs[3]
		c0, c1, c2, c3 := cs[0], cs[1], cs[2], cs[3]
		for i, r := range idx {
			v := oq[i]
			h0[c0[r]] += v
			h1[c1[r]] += v
			h2[c2[r]] += v
			h3[c3[r]] += v
		}
	default:
		for j := range cs {
			h0 := hs[j]
			c0 := cs[j]
			for i, r := range idx {
				h0[c0[r]] += oq[i]
			}
		}
	}
}
