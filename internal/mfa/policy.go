package mfa

// Kinds of factor RFC 8176's amr values prove.
const (
	knowledge = iota + 1
	possession
	inherence
)

var amrKinds = map[string]int{
	"pwd": knowledge, "pin": knowledge, "kba": knowledge,
	"otp": possession, "hwk": possession, "swk": possession, "sms": possession,
	"tel": possession, "sc": possession, "pop": possession,
	"face": inherence, "fpt": inherence, "iris": inherence, "retina": inherence, "vbm": inherence,
}

func inboundMFA(amr []string) bool {
	kinds := map[int]bool{}
	for _, v := range amr {
		if v == "mfa" {
			return true
		}
		if k, ok := amrKinds[v]; ok {
			kinds[k] = true
		}
	}
	return len(kinds) >= 2
}
