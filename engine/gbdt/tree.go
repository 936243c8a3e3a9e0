package gbdt

// Tree is one regression tree stored as parallel node arrays (node 0 is the
// root). A node with Feature[i] == -1 is a leaf whose output is Value[i]; a
// split node sends a row left when its value is ≤ Threshold[i], right when it
// is greater, and to the DefaultLeft side when it is NaN.
type Tree struct {
	Feature     []int32   `json:"feature"`
	Threshold   []float64 `json:"threshold"`
	DefaultLeft []bool    `json:"default_left"`
	Left        []int32   `json:"left"`
	Right       []int32   `json:"right"`
	Value       []float64 `json:"value"` // leaf output with the learning rate applied; 0 on split nodes
	Gain        []float64 `json:"gain"`  // split gain (0 on leaves)
	Cover       []float64 `json:"cover"` // hessian sum of the training rows reaching the node

	bin []uint8 // split bin (left = value bins 1..bin); training only, not serialised
}

func (t *Tree) addNode() int32 {
	t.Feature = append(t.Feature, -1)
	t.Threshold = append(t.Threshold, 0)
	t.DefaultLeft = append(t.DefaultLeft, false)
	t.Left = append(t.Left, -1)
	t.Right = append(t.Right, -1)
	t.Value = append(t.Value, 0)
	t.Gain = append(t.Gain, 0)
	t.Cover = append(t.Cover, 0)
	t.bin = append(t.bin, 0)
	return int32(len(t.Feature) - 1)
}

// reserve sets the capacity of the (empty) node arrays to n nodes.
func (t *Tree) reserve(n int) {
	t.Feature = make([]int32, 0, n)
	t.Threshold = make([]float64, 0, n)
	t.DefaultLeft = make([]bool, 0, n)
	t.Left = make([]int32, 0, n)
	t.Right = make([]int32, 0, n)
	t.Value = make([]float64, 0, n)
	t.Gain = make([]float64, 0, n)
	t.Cover = make([]float64, 0, n)
	t.bin = make([]uint8, 0, n)
}

// NumNodes is the number of nodes (splits and leaves).
func (t *Tree) NumNodes() int { return len(t.Feature) }

// leafRaw walks raw values of row r.
func (t *Tree) leafRaw(cols [][]float64, r int) int32 {
	i := int32(0)
	for {
		f := t.Feature[i]
		if f < 0 {
			return i
		}
		v := cols[f][r]
		switch {
		case v != v:
			if t.DefaultLeft[i] {
				i = t.Left[i]
			} else {
				i = t.Right[i]
			}
		case v <= t.Threshold[i]:
			i = t.Left[i]
		default:
			i = t.Right[i]
		}
	}
}

// leafBinned walks the binned row r (training-time trees only).
func (t *Tree) leafBinned(bins [][]uint8, r int) int32 {
	i := int32(0)
	for {
		f := t.Feature[i]
		if f < 0 {
			return i
		}
		b := bins[f][r]
		switch {
		case b == 0:
			if t.DefaultLeft[i] {
				i = t.Left[i]
			} else {
				i = t.Right[i]
			}
		case b <= t.bin[i]:
			i = t.Left[i]
		default:
			i = t.Right[i]
		}
	}
}
