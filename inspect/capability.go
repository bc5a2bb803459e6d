package inspect

// Capability names one of the optional interfaces a [Source] may implement
// besides its own methods. Front ends offer the tools and pages of a
// capability only when the source has it, and say why when it does not
// (see [WhyNot]).
type Capability string

// The optional capabilities.
const (
	// DeadLetterListing is [DeadLetterLister].
	DeadLetterListing Capability = "dead-letter listing"
	// TokenListing is [TokenLister].
	TokenListing Capability = "gateway token listing"
	// Writing is [Writer].
	Writing Capability = "writes"
)

// Explainer is implemented by backends that can say why they lack an
// optional capability, so that a front end tells its user instead of
// silently leaving a tool out.
type Explainer interface {
	// WhyNot returns why the backend does not implement c: a sentence for
	// a person or a model, saying what to use instead where there is
	// something; "" when it has nothing particular to say.
	WhyNot(c Capability) string
}

// Has reports whether src implements the interface of c.
func Has(src Source, c Capability) bool {
	switch c {
	case DeadLetterListing:
		_, ok := src.(DeadLetterLister)
		return ok
	case TokenListing:
		_, ok := src.(TokenLister)
		return ok
	case Writing:
		_, ok := src.(Writer)
		return ok
	}
	return false
}

// WhyNot returns why src lacks c: the backend's own reason when it is an
// [Explainer] with one, else a sentence naming the backend; "" when src has
// c.
func WhyNot(src Source, c Capability) string {
	if Has(src, c) {
		return ""
	}
	if e, ok := src.(Explainer); ok {
		if why := e.WhyNot(c); why != "" {
			return why
		}
	}
	name, _ := src.Backend()
	return "the " + name + " backend does not offer " + string(c)
}
