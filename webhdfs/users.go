package webhdfs

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"
)

// ProxyUser is what Hadoop's hadoop.proxyuser.NAME.{users,groups,hosts}
// allow the user NAME to do: act (doas) as any user in Users, or any user
// one of whose groups is in Groups, from a client address in Hosts. "*"
// in a list allows everything; an unset list allows nothing.
type ProxyUser struct {
	// Users and Groups are hadoop.proxyuser.NAME.users / .groups.
	Users, Groups []string
	// Hosts is hadoop.proxyuser.NAME.hosts: IP addresses, CIDR ranges or
	// host names (resolved when the handler is built).
	Hosts []string
}

// proxyRule is a ProxyUser ready for checks.
type proxyRule struct {
	anyUser, anyGroup, anyHost bool
	users, groups              []string
	prefixes                   []netip.Prefix
}

func newProxyRule(name string, p ProxyUser, log *slog.Logger) proxyRule {
	var r proxyRule
	r.anyUser = slices.Contains(p.Users, "*")
	r.anyGroup = slices.Contains(p.Groups, "*")
	r.users, r.groups = p.Users, p.Groups
	for _, h := range p.Hosts {
		h = strings.TrimSpace(h)
		switch {
		case h == "":
		case h == "*":
			r.anyHost = true
		case strings.Contains(h, "/"):
			if pf, err := netip.ParsePrefix(h); err == nil {
				r.prefixes = append(r.prefixes, pf.Masked())
			} else {
				log.Warn("webhdfs: hadoop.proxyuser hosts entry is not a CIDR range", "user", name, "entry", h)
			}
		default:
			if ip, err := netip.ParseAddr(h); err == nil {
				r.prefixes = append(r.prefixes, netip.PrefixFrom(ip.Unmap(), ip.Unmap().BitLen()))
				continue
			}
			ips, err := net.LookupIP(h)
			if err != nil {
				log.Warn("webhdfs: hadoop.proxyuser hosts entry does not resolve", "user", name, "entry", h, "err", err)
			}
			for _, x := range ips {
				if ip, ok := netip.AddrFromSlice(x); ok {
					r.prefixes = append(r.prefixes, netip.PrefixFrom(ip.Unmap(), ip.Unmap().BitLen()))
				}
			}
		}
	}
	return r
}

func (r proxyRule) allowsUser(user string, groups []string) bool {
	if r.anyUser || r.anyGroup || slices.Contains(r.users, user) {
		return true
	}
	for _, g := range groups {
		if slices.Contains(r.groups, g) {
			return true
		}
	}
	return false
}

func (r proxyRule) allowsHost(ip netip.Addr) bool {
	if r.anyHost {
		return true
	}
	for _, p := range r.prefixes {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// failedUGI is the SecurityException Hadoop's UserProvider throws when it
// cannot build the caller's identity.
func failedUGI(cause string) error {
	return &apiError{class: exSecurity, msg: "Failed to obtain user group information: " + cause}
}

// identity decides who a request acts as, as JspHelper.getUGI does with
// security off: user.name (or the static user when absent), and doas when
// given and different, if the proxy-user rules let the former act as the
// latter from the client's address. A delegation parameter is ignored, as
// Hadoop ignores it with security off.
func (h *Handler) identity(r *http.Request, q query) (string, error) {
	user := q.str(pUser)
	if user == "" {
		user = h.opts.StaticUser
	} else if !userPattern.MatchString(user) {
		return "", badParam(pUser, fmt.Sprintf("Invalid value: \"%s\" does not belong to the domain %s", user, userPattern))
	}
	doas := q.str(pDoAs)
	if doas == "" || doas == user {
		return user, nil
	}
	if !userPattern.MatchString(doas) {
		return "", badParam(pDoAs, fmt.Sprintf("Invalid value: \"%s\" does not belong to the domain %s", doas, userPattern))
	}
	rule, ok := h.proxy[user]
	if !ok || !rule.allowsUser(doas, h.groupsOf(rule, doas)) {
		return "", failedUGI(fmt.Sprintf("org.apache.hadoop.security.authorize.AuthorizationException: User: %s is not allowed to impersonate %s", user, doas))
	}
	ip := remoteIP(r)
	if !rule.allowsHost(ip) {
		return "", failedUGI(fmt.Sprintf("org.apache.hadoop.security.authorize.AuthorizationException: Unauthorized connection for super-user: %s from IP %s", user, ip))
	}
	return doas, nil
}

// groupsOf looks doas's groups up only when a group rule needs them.
func (h *Handler) groupsOf(rule proxyRule, user string) []string {
	if len(rule.groups) == 0 || rule.anyUser || rule.anyGroup {
		return nil
	}
	return h.ns.GroupsOf(user)
}

func remoteIP(r *http.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}
