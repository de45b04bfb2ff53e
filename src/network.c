/*
 * network.c: --network for `carapace run`. none (lo only, the default),
 * host, ns:PATH, container:NAME, and bridge: a veth on carapace's bridge
 * carapace0, an address leased from --subnet, NAT and -p in carapace's own
 * nftables table. Links, addresses and routes go through raw NETLINK_ROUTE;
 * the rules through Debian's nft binary, as one atomic script that makes
 * the whole table again from the lease file.
 *
 * The state root's .network folder (a dot name: no container ID, and list
 * skips it) holds the lease file, its lock, and one folder per launcher,
 * PID-RANDOM, with the /etc files bound into the container, flocked by its
 * launcher while it lives: a lease names its launcher's folder. A launcher
 * that is gone (SIGKILLed) leaves its lease and folder, unlocked: the next
 * start sweeps them, as the cgroups are swept. Not by pid: launchers in
 * other pid namespaces share the state root, with the same pids.
 *
 * SPDX-License-Identifier: MIT
 */
#include "carapace.h"
#include <arpa/inet.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/nsfs.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <netinet/in.h>

static const char *const etc_files[3] = { "hostname", "hosts", "resolv.conf" };

/* -p's per container: a lease line holds them all. */
#define MAX_PORTS 32

/* ------------------------------------------------------------------ */
/* The options                                                        */
/* ------------------------------------------------------------------ */

void parse_network_option(struct container *c, const char *arg)
{
	static const struct { const char *name; enum network_mode mode; } modes[] = {
		{ "none", NET_NONE }, { "host", NET_HOST }, { "bridge", NET_BRIDGE },
	};

	c->network.target = NULL;
	for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++)
		if (!strcmp(arg, modes[i].name)) {
			c->network.mode = modes[i].mode;
			return;
		}
	if (!strncmp(arg, "ns:", 3) && arg[3]) {
		c->network.mode = NET_NS;
		c->network.target = arg + 3;
	} else if (!strncmp(arg, "container:", 10) && arg[10]) {
		c->network.mode = NET_CONTAINER;
		c->network.target = arg + 10;
	} else {
		die(EXIT_CANT_RUN, "--network: '%s': not none, host, bridge, ns:PATH or "
		    "container:NAME", arg);
	}
}

static uint16_t parse_port(const char *arg, const char *s, size_t len)
{
	char buf[8];
	char *end;
	unsigned long v;

	if (!len || len >= sizeof buf || !isdigit((unsigned char)*s))
		die(EXIT_CANT_RUN, "-p: '%s': expected [IP:]HOST:CONTAINER[/tcp|/udp]", arg);
	memcpy(buf, s, len);
	buf[len] = '\0';
	v = strtoul(buf, &end, 10);
	if (*end || !v || v > 65535)
		die(EXIT_CANT_RUN, "-p: '%s': port %s is not 1 to 65535", arg, buf);
	return (uint16_t)v;
}

/* [IP:]HOST:CONTAINER[/tcp|/udp] */
void parse_publish_option(struct container *c, const char *arg)
{
	struct port_map p = { 0 };
	const char *slash = strchr(arg, '/'), *end = slash ? slash : arg + strlen(arg);
	const char *last = memrchr(arg, ':', (size_t)(end - arg)), *first = strchr(arg, ':');
	char ip[INET_ADDRSTRLEN];

	if (slash && strcmp(slash, "/tcp") && strcmp(slash, "/udp"))
		die(EXIT_CANT_RUN, "-p: '%s': the protocol is tcp or udp, not '%s'", arg, slash + 1);
	p.udp = slash && !strcmp(slash, "/udp");
	if (!last)
		die(EXIT_CANT_RUN, "-p: '%s': expected [IP:]HOST:CONTAINER[/tcp|/udp]", arg);
	if (first != last) {
		if ((size_t)(first - arg) >= sizeof ip)
			die(EXIT_CANT_RUN, "-p: '%s': not an IPv4 address", arg);
		memcpy(ip, arg, (size_t)(first - arg));
		ip[first - arg] = '\0';
		if (inet_pton(AF_INET, ip, &p.host_ip) != 1)
			die(EXIT_CANT_RUN, "-p: '%s': '%s' is not an IPv4 address", arg, ip);
		first++;
	} else {
		first = arg;
	}
	p.host_port = parse_port(arg, first, (size_t)(last - first));
	p.container_port = parse_port(arg, last + 1, (size_t)(end - last - 1));
	for (size_t i = 0; i < c->network.ports_len; i++)
		if (c->network.ports[i].host_port == p.host_port &&
		    c->network.ports[i].udp == p.udp)
			die(EXIT_CANT_RUN, "-p: '%s': host port %u given twice", arg, p.host_port);
	if (c->network.ports_len == MAX_PORTS)
		die(EXIT_CANT_RUN, "-p: '%s': at most %zu ports", arg, c->network.ports_len);
	c->network.ports = xrealloc(c->network.ports,
				    (c->network.ports_len + 1) * sizeof *c->network.ports);
	c->network.ports[c->network.ports_len++] = p;
}

/* Once all options are parsed: -p implies the bridge, which only root can make. */
void network_defaults(struct container *c, bool rootless)
{
	struct network_spec *n = &c->network;

	if (n->mode == NET_UNSET)
		n->mode = n->ports_len ? NET_BRIDGE : NET_NONE;
	if (n->ports_len && n->mode != NET_BRIDGE)
		die(EXIT_CANT_RUN, "-p: only with --network bridge: this container's network "
		    "is not carapace's to forward to");
	if (n->subnet && n->mode != NET_BRIDGE)
		die(EXIT_CANT_RUN, "--subnet: only with --network bridge");
	(void)rootless;	/* rootless, the bridge is pasta's: network_attach */
	/* sysfs is mounted only for a network namespace that the user namespace owns. */
	if ((n->mode == NET_HOST || n->mode == NET_NS || n->mode == NET_CONTAINER) &&
	    (c->namespaces & CLONE_NEWUSER))
		die(EXIT_CANT_RUN, "--network %s: not with a user namespace (--userns, rootless): "
		    "the kernel mounts no /sys for a network namespace it does not own",
		    n->mode == NET_HOST ? "host" : n->mode == NET_NS ? "ns:" : "container:");
	if (n->mode != NET_NONE)
		c->namespaces &= ~(unsigned long)CLONE_NEWNET;
	if (n->mode == NET_BRIDGE)
		c->namespaces |= CLONE_NEWNET;
}

/* ------------------------------------------------------------------ */
/* Raw NETLINK_ROUTE: one request, one acknowledgement                */
/* ------------------------------------------------------------------ */

struct nl_req {
	struct nlmsghdr h;
	char room[1024];
};

static struct rtattr *nl_attr(struct nlmsghdr *h, unsigned short type, const void *data,
			      size_t len)
{
	struct rtattr *a = (struct rtattr *)((char *)h + NLMSG_ALIGN(h->nlmsg_len));

	if (NLMSG_ALIGN(h->nlmsg_len) + RTA_SPACE(len) > sizeof(struct nl_req))
		die(EXIT_CANT_RUN, "netlink: request too long");
	a->rta_type = type;
	a->rta_len = (unsigned short)RTA_LENGTH(len);
	if (len)
		memcpy(RTA_DATA(a), data, len);
	h->nlmsg_len = NLMSG_ALIGN(h->nlmsg_len) + RTA_SPACE(len);
	return a;
}

static void nl_nest_end(struct nlmsghdr *h, struct rtattr *nest)
{
	nest->rta_len = (unsigned short)((char *)h + h->nlmsg_len - (char *)nest);
}

/* A request with its fixed header of LEN bytes: the header's room. */
static void *nl_start(struct nl_req *r, unsigned short type, unsigned short flags, size_t len)
{
	memset(r, 0, sizeof *r);
	r->h.nlmsg_type = type;
	r->h.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	r->h.nlmsg_len = (unsigned)NLMSG_LENGTH(len);
	return NLMSG_DATA(&r->h);
}

static int nl_open(void)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);

	if (fd < 0)
		die_errno("netlink: socket");
	return fd;
}

/* Sends R and reads its acknowledgement: 0, or the kernel's -errno. */
static int nl_talk(int fd, struct nl_req *r)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	char buf[4096];
	ssize_t n;

	if (sendto(fd, r, r->h.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0)
		return -errno;
	while ((n = recv(fd, buf, sizeof buf, 0)) < 0 && errno == EINTR)
		;
	if (n < 0)
		return -errno;
	for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n);
	     h = NLMSG_NEXT(h, n))
		if (h->nlmsg_type == NLMSG_ERROR)
			return ((struct nlmsgerr *)NLMSG_DATA(h))->error;
	return -EPROTO;
}

static void nl_check(int err, const char *what, const char *name)
{
	if (err) {
		errno = -err;
		die_errno("netlink: %s: %s", name, what);
	}
}

/* RTM_NEWLINK on INDEX: up. */
static int link_up(int fd, int index)
{
	struct nl_req r;
	struct ifinfomsg *i = nl_start(&r, RTM_NEWLINK, 0, sizeof *i);

	i->ifi_family = AF_UNSPEC;
	i->ifi_index = index;
	i->ifi_flags = i->ifi_change = IFF_UP;
	return nl_talk(fd, &r);
}

static int link_delete(int fd, const char *name)
{
	struct nl_req r;
	struct ifinfomsg *i = nl_start(&r, RTM_DELLINK, 0, sizeof *i);

	i->ifi_family = AF_UNSPEC;
	nl_attr(&r.h, IFLA_IFNAME, name, strlen(name) + 1);
	return nl_talk(fd, &r);
}

static int add_address(int fd, int index, uint32_t addr, int prefix)
{
	struct nl_req r;
	struct ifaddrmsg *a = nl_start(&r, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, sizeof *a);

	a->ifa_family = AF_INET;
	a->ifa_prefixlen = (unsigned char)prefix;
	a->ifa_index = (unsigned)index;
	nl_attr(&r.h, IFA_LOCAL, &addr, 4);
	nl_attr(&r.h, IFA_ADDRESS, &addr, 4);
	return nl_talk(fd, &r);
}

static int add_default_route(int fd, int index, uint32_t gateway)
{
	struct nl_req r;
	struct rtmsg *m = nl_start(&r, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, sizeof *m);

	m->rtm_family = AF_INET;
	m->rtm_table = RT_TABLE_MAIN;
	m->rtm_protocol = RTPROT_BOOT;
	m->rtm_scope = RT_SCOPE_UNIVERSE;
	m->rtm_type = RTN_UNICAST;
	nl_attr(&r.h, RTA_GATEWAY, &gateway, 4);
	nl_attr(&r.h, RTA_OIF, &index, 4);
	return nl_talk(fd, &r);
}

static int make_bridge(int fd)
{
	struct nl_req r;
	struct ifinfomsg *i = nl_start(&r, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, sizeof *i);
	struct rtattr *info;

	i->ifi_family = AF_UNSPEC;
	nl_attr(&r.h, IFLA_IFNAME, NETWORK_BRIDGE, sizeof NETWORK_BRIDGE);
	info = nl_attr(&r.h, IFLA_LINKINFO, NULL, 0);
	nl_attr(&r.h, IFLA_INFO_KIND, "bridge", sizeof "bridge");
	nl_nest_end(&r.h, info);
	return nl_talk(fd, &r);
}

/* HOST on the bridge; its peer, eth0, born in PID's network namespace. */
static int make_veth(int fd, const char *host, int bridge, pid_t pid)
{
	struct nl_req r;
	struct ifinfomsg *i = nl_start(&r, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, sizeof *i);
	struct ifinfomsg peer = { .ifi_family = AF_UNSPEC };
	struct rtattr *info, *data, *p;
	uint32_t ns_pid = (uint32_t)pid;

	i->ifi_family = AF_UNSPEC;
	nl_attr(&r.h, IFLA_IFNAME, host, strlen(host) + 1);
	nl_attr(&r.h, IFLA_MASTER, &bridge, 4);
	info = nl_attr(&r.h, IFLA_LINKINFO, NULL, 0);
	nl_attr(&r.h, IFLA_INFO_KIND, "veth", sizeof "veth");
	data = nl_attr(&r.h, IFLA_INFO_DATA, NULL, 0);
	p = nl_attr(&r.h, VETH_INFO_PEER, &peer, sizeof peer);
	nl_attr(&r.h, IFLA_IFNAME, "eth0", sizeof "eth0");
	nl_attr(&r.h, IFLA_NET_NS_PID, &ns_pid, 4);
	nl_nest_end(&r.h, p);
	nl_nest_end(&r.h, data);
	nl_nest_end(&r.h, info);
	return nl_talk(fd, &r);
}

/* Calls FN for each IPv4 route of the main table: its destination, prefix and device. */
static void for_each_route(int fd, void (*fn)(uint32_t dst, int len, int oif, void *arg),
			   void *arg)
{
	struct nl_req r;
	struct rtmsg *m = nl_start(&r, RTM_GETROUTE, NLM_F_DUMP, sizeof *m);
	char buf[16384];
	ssize_t n;

	m->rtm_family = AF_INET;
	r.h.nlmsg_flags &= (unsigned short)~NLM_F_ACK;
	if (send(fd, &r, r.h.nlmsg_len, 0) < 0)
		die_errno("netlink: routes");
	while ((n = recv(fd, buf, sizeof buf, 0)) > 0 || (n < 0 && errno == EINTR))
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; n > 0 && NLMSG_OK(h, (size_t)n);
		     h = NLMSG_NEXT(h, n)) {
			struct rtmsg *rt = NLMSG_DATA(h);
			int len = (int)RTM_PAYLOAD(h), oif = 0;
			uint32_t dst = 0;

			if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR)
				return;
			if (h->nlmsg_type != RTM_NEWROUTE || rt->rtm_table != RT_TABLE_MAIN)
				continue;
			for (struct rtattr *a = RTM_RTA(rt); RTA_OK(a, len); a = RTA_NEXT(a, len))
				if (a->rta_type == RTA_DST)
					memcpy(&dst, RTA_DATA(a), 4);
				else if (a->rta_type == RTA_OIF)
					memcpy(&oif, RTA_DATA(a), 4);
			fn(dst, rt->rtm_dst_len, oif, arg);
		}
	die_errno("netlink: routes");
}

/* ------------------------------------------------------------------ */
/* The subnet and the lease file                                      */
/* ------------------------------------------------------------------ */

/* A launcher's folder in .network: "PID-RANDOM", flocked while it lives (hold_own_folder). */
#define KEY_SIZE 32

struct lease {
	uint32_t addr;
	char key[KEY_SIZE];	/* the launcher's folder: its lock says it lives */
	struct port_map ports[MAX_PORTS];
	size_t ports_len;
};

struct leases {
	uint32_t net;		/* network order */
	int prefix;
	int forward_was;	/* ip_forward before the bridge was made */
	size_t sweep_from;	/* the lease the next sweep looks at first */
	struct lease *v;
	size_t len;
};

/*
 * A start or an exit looks at this many leases at most, each in turn: a
 * look at every one made a start's cost grow with the containers on the
 * bridge (an openat, a flock and a close each).
 */
#define SWEEP_LEASES 8

static uint32_t prefix_mask(int prefix)
{
	return prefix ? htonl(~0U << (32 - prefix)) : 0;
}

static void parse_subnet(const char *s, uint32_t *net, int *prefix)
{
	char ip[INET_ADDRSTRLEN], *end;
	const char *slash = strchr(s, '/');
	long len = slash ? strtol(slash + 1, &end, 10) : -1;

	if (!slash || (size_t)(slash - s) >= sizeof ip || !slash[1] || *end ||
	    len < 16 || len > 29)
		die(EXIT_CANT_RUN, "--subnet: '%s': expected an IPv4 ADDRESS/PREFIX, the prefix "
		    "from 16 to 29", s);
	memcpy(ip, s, (size_t)(slash - s));
	ip[slash - s] = '\0';
	if (inet_pton(AF_INET, ip, net) != 1)
		die(EXIT_CANT_RUN, "--subnet: '%s': not an IPv4 address", s);
	*prefix = (int)len;
	if (*net & ~prefix_mask(*prefix))
		die(EXIT_CANT_RUN, "--subnet: '%s': bits set past the prefix", s);
	/* Not the loopback (the host's 127.0.0.1 would be the bridge's), nor what no host routes. */
	if ((ntohl(*net) >> 24) == 0 || (ntohl(*net) >> 24) == 127 || (ntohl(*net) >> 24) >= 224 ||
	    (ntohl(*net) >> 16) == 0xa9fe)
		die(EXIT_CANT_RUN, "--subnet: '%s': not an ordinary unicast subnet (loopback, "
		    "link-local, multicast or reserved)", s);
}

static const char *ip_text(uint32_t addr)
{
	static char buf[4][INET_ADDRSTRLEN];
	static int next;
	char *b = buf[next++ % 4];

	return inet_ntop(AF_INET, &addr, b, INET_ADDRSTRLEN);
}

/* A lease's published port, "P:HOST_IP:HOST:CONTAINER" as write_leases puts it. */
static bool port_token(const char *tok, char *proto, char hip[INET_ADDRSTRLEN], unsigned *h,
		       unsigned *c)
{
	size_t len = tok[0] && tok[1] == ':' ? strspn(tok + 2, "0123456789.") : 0;
	char *end;

	if (!len || len >= INET_ADDRSTRLEN || tok[2 + len] != ':' ||
	    !isdigit((unsigned char)tok[3 + len]))
		return false;
	*proto = tok[0];
	memcpy(hip, tok + 2, len);
	hip[len] = '\0';
	*h = (unsigned)strtoul(tok + 3 + len, &end, 10);
	if (*end != ':' || !isdigit((unsigned char)end[1]))
		return false;
	*c = (unsigned)strtoul(end + 1, NULL, 10);
	return true;
}

/* One line of the lease file: the subnet's, or a lease's, "lease ADDR KEY [PORT...]". */
static void parse_lease_line(struct leases *ls, char *line)
{
	struct lease l = { 0 };
	char ip[INET_ADDRSTRLEN + 4], *save = NULL, *tok;
	unsigned long long fw, from;

	if (word_is(line, 0, "subnet") && nth_word(line, 1, ip, sizeof ip) &&
	    word_is(line, 2, "forward") && word_number(line, 3, INT_MAX, &fw)) {
		parse_subnet(ip, &ls->net, &ls->prefix);
		ls->forward_was = (int)fw;
		if (word_is(line, 4, "sweep") && word_number(line, 5, INT_MAX, &from))
			ls->sweep_from = (size_t)from;
		return;
	}
	if (!word_is(line, 0, "lease") || !nth_word(line, 1, ip, INET_ADDRSTRLEN) ||
	    !nth_word(line, 2, l.key, sizeof l.key) || inet_pton(AF_INET, ip, &l.addr) != 1)
		return;
	strtok_r(line, " ", &save);
	for (int i = 0; i < 2; i++)
		strtok_r(NULL, " ", &save);
	while ((tok = strtok_r(NULL, " ", &save)) && l.ports_len < MAX_PORTS) {
		struct port_map *p = &l.ports[l.ports_len];
		char proto, hip[INET_ADDRSTRLEN];
		unsigned h, c;

		if (port_token(tok, &proto, hip, &h, &c) && inet_pton(AF_INET, hip, &p->host_ip) == 1) {
			*p = (struct port_map){ proto == 'u', p->host_ip, (uint16_t)h, (uint16_t)c };
			l.ports_len++;
		}
	}
	/* Doubled as it fills: one realloc a lease cost an mmap and a munmap each, past 50. */
	if (!(ls->len & (ls->len - 1)))
		ls->v = xrealloc(ls->v, (ls->len ? 2 * ls->len : 1) * sizeof *ls->v);
	ls->v[ls->len++] = l;
}

/* The file, read whole at once: a read a KiB made its cost grow with the leases. */
static void read_leases(int dir, struct leases *ls)
{
	autoclose int fd = openat(dir, "leases", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	char *text;
	ssize_t n;

	ls->len = 0;
	ls->net = 0;
	ls->sweep_from = 0;
	if (fd < 0 && errno == ENOENT)
		return;
	if (fd < 0 || fstat(fd, &st))
		die_errno("network: leases");
	text = xrealloc(NULL, (size_t)st.st_size + 1);
	while ((n = pread(fd, text, (size_t)st.st_size + 1, 0)) < 0 && errno == EINTR)
		;
	/* Never more than its size: write_leases renames a new file into place, whole. */
	if (n < 0 || n > st.st_size)
		die_errno("network: leases");
	text[n] = '\0';
	for (char *line = text, *end; *line; line = end) {
		end = line + strcspn(line, "\n");
		if (*end)
			*end++ = '\0';
		parse_lease_line(ls, line);
	}
	free(text);
}

/* The whole file, under a temporary name, renamed into place; none when no lease is left. */
static void write_leases(int dir, const struct leases *ls)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	autoclose int fd = -1;

	if (!ls->len) {
		if (unlinkat(dir, "leases", 0) && errno != ENOENT)
			log_warn("network: leases: %s", strerror(errno));
		return;
	}
	if (!f)
		die_errno("network: leases");
	fprintf(f, "subnet %s/%d forward %d sweep %zu\n", ip_text(ls->net), ls->prefix,
		ls->forward_was, ls->sweep_from);
	for (size_t i = 0; i < ls->len; i++) {
		const struct lease *l = &ls->v[i];

		fprintf(f, "lease %s %s", ip_text(l->addr), l->key);
		for (size_t k = 0; k < l->ports_len; k++)
			fprintf(f, " %c:%s:%u:%u", l->ports[k].udp ? 'u' : 't',
				ip_text(l->ports[k].host_ip), l->ports[k].host_port,
				l->ports[k].container_port);
		fputc('\n', f);
	}
	if (fclose(f))
		die_errno("network: leases");
	/* One write, as one read: not one a KiB. */
	fd = openat(dir, ".leases.new", O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, text, len) != (ssize_t)len ||
	    renameat(dir, ".leases.new", dir, "leases"))
		die_errno("network: leases");
	free(text);
}

/*
 * A launcher's folder's name, "PID-RANDOM": a pid is unique in one pid
 * namespace only, and the state root is shared by launchers in many (a
 * CI runner's, a container's), each with its PID 1, 2, 3.
 */
static bool valid_key(const char *key)
{
	size_t digits = strspn(key, "0123456789");

	return digits && key[digits] == '-' && strspn(key + digits + 1, "0123456789abcdef") == 16 &&
	       !key[digits + 17];
}

static void remove_files_dir(int dir, const char *name);

/*
 * Folder NAME, removed if no launcher holds it: it holds its folder's
 * flock while it lives (hold_own_folder), and the kernel lets go of it at
 * its death, in whatever pid namespace it ran. True if it is gone.
 */
static bool remove_unheld_folder(int dir, const char *name)
{
	autoclose int fd = openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return errno == ENOENT || errno == ENOTDIR || errno == ELOOP;
	if (flock(fd, LOCK_EX | LOCK_NB))
		return false;	/* held: its launcher lives (or another sweep has it) */
	remove_files_dir(dir, name);	/* under its lock */
	return true;
}

/* Whether lease KEY's launcher is gone (an older carapace's lease, keyed by pid: gone too). */
static bool launcher_gone(int dir, const char *key)
{
	return !valid_key(key) || remove_unheld_folder(dir, key);
}

/* The host's end of the veth of ADDR: named after it, so that a sweep finds it. */
static void veth_name(char name[IFNAMSIZ], uint32_t addr)
{
	snprintf(name, IFNAMSIZ, "cp%08x", ntohl(addr));
}

/* A lease of a launcher gone: its veth goes too, and the lease is marked for compact_leases. */
static void drop_lease(int nl, struct lease *l)
{
	char veth[IFNAMSIZ];

	veth_name(veth, l->addr);
	link_delete(nl, veth);	/* gone with its namespace, most likely */
	log_debug("network: swept the lease of %s, launcher %s gone", ip_text(l->addr), l->key);
	l->addr = 0;	/* no lease's: .0 is the subnet's own */
}

/* The leases that drop_lease left, out; the index that was NEXT's, after. */
static size_t compact_leases(struct leases *ls, size_t next)
{
	size_t kept = 0, from = 0;

	for (size_t i = 0; i < ls->len; i++) {
		if (i == next)
			from = kept;
		if (ls->v[i].addr)
			ls->v[kept++] = ls->v[i];
	}
	ls->len = kept;
	return from;
}

/*
 * Drops the leases of launchers that are gone (SIGKILLed), their veths and
 * folders: BUDGET of them looked at, from where the last sweep stopped, so
 * that each lease comes round in turn and no start costs more with more
 * containers on the bridge; and BUDGET more while all of those were gone
 * (a dead lease costs one look, once), so that the last live one's exit
 * finds none left and takes the bridge down.
 */
static void sweep_leases(int dir, int nl, struct leases *ls, size_t budget)
{
	bool all_gone = true;

	while (ls->len && all_gone) {
		size_t n = ls->len, at = ls->sweep_from % n, look = budget < n ? budget : n, from;

		for (size_t k = 0; k < look; k++)
			if (launcher_gone(dir, ls->v[(at + k) % n].key))
				drop_lease(nl, &ls->v[(at + k) % n]);
			else
				all_gone = false;
		from = compact_leases(ls, (at + look) % n);
		ls->sweep_from = look == n ? 0 : from;
	}
}

/*
 * The lowest address that no lease has and whose veth is gone; false if
 * none is left. The leases as a bitmap first: a look through all of them
 * for each address cost O(N^2) with N on the bridge.
 */
static bool pick_address(const struct leases *ls, struct lease *mine)
{
	uint32_t hosts = ~ntohl(prefix_mask(ls->prefix)), base = ntohl(ls->net);
	uint8_t *taken = xrealloc(NULL, hosts / 8 + 1);
	bool found = false;

	memset(taken, 0, hosts / 8 + 1);
	for (size_t i = 0; i < ls->len; i++) {
		uint32_t h = ntohl(ls->v[i].addr) - base;

		if (h < hosts)
			taken[h / 8] |= (uint8_t)(1u << (h % 8));
	}
	/* .1 is the bridge's; the last is the broadcast address. */
	for (uint32_t h = 2; h < hosts && !found; h++) {
		char veth[IFNAMSIZ];

		if (taken[h / 8] & (1u << (h % 8)))
			continue;
		veth_name(veth, htonl(base + h));
		if (!if_nametoindex(veth)) {	/* its last veth gone too */
			mine->addr = htonl(base + h);
			found = true;
		}
	}
	free(taken);
	return found;
}

/* ------------------------------------------------------------------ */
/* NAT and published ports: carapace's own nftables table             */
/* ------------------------------------------------------------------ */

static char *find_nft(void)
{
	char *nft = find_program("nft");

	if (!nft && !access("/usr/sbin/nft", X_OK))
		nft = xasprintf("/usr/sbin/nft");
	if (!nft)
		die(EXIT_CANT_RUN, "--network bridge: nft: not found (install the package "
		    "nftables: carapace's NAT rules go through it)");
	return nft;
}

/* Runs nft -f - on SCRIPT: 0, or nft's status (it said why on stderr). */
static int run_nft(const char *script)
{
	char *nft = find_nft();
	int p[2], status;
	pid_t pid;
	sigset_t none;

	if (pipe2(p, O_CLOEXEC) || (pid = fork()) < 0)
		die_errno("nft");
	if (pid == 0) {
		set_fail_mode(FAIL_PRINT, -1);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		if (dup2(p[0], STDIN_FILENO) < 0)
			_exit(EXIT_CANT_RUN);
		execl(nft, "nft", "-f", "-", (char *)NULL);
		die_errno("exec: %s", nft);
	}
	close(p[0]);
	for (size_t done = 0, len = strlen(script); done < len;) {
		ssize_t n = write(p[1], script + done, len - done);

		if (n <= 0 && errno != EINTR)
			break;
		done += n > 0 ? (size_t)n : 0;
	}
	close(p[1]);
	free(nft);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return EXIT_CANT_RUN;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void put_port_rules(FILE *f, const struct leases *ls)
{
	for (size_t i = 0; i < ls->len; i++)
		for (size_t k = 0; k < ls->v[i].ports_len; k++) {
			const struct port_map *p = &ls->v[i].ports[k];

			if (p->host_ip)
				fprintf(f, "\t\tip daddr %s", ip_text(p->host_ip));
			else
				fputs("\t\tfib daddr type local", f);
			fprintf(f, " %s dport %u dnat to %s:%u\n", p->udp ? "udp" : "tcp",
				p->host_port, ip_text(ls->v[i].addr), p->container_port);
		}
}

/*
 * What the host forwards into the bridge: answers and published ports
 * (DNAT) only; else a neighbour that routes the subnet through the host
 * reaches every port of every container. Traffic between the host's
 * other interfaces is not carapace's to filter (a drop here would
 * override another table's accept).
 */
static void put_forward_rules(FILE *f)
{
	const char *br = NETWORK_BRIDGE;

	fprintf(f, "\tchain forward {\n"
		"\t\ttype filter hook forward priority filter; policy accept;\n"
		"\t\toifname \"%s\" iifname != \"%s\" ct state established,related accept\n"
		"\t\toifname \"%s\" iifname != \"%s\" ct status dnat accept\n"
		"\t\toifname \"%s\" iifname != \"%s\" drop\n\t}\n", br, br, br, br, br, br);
}

/*
 * The table made again, whole, from the leases, in one transaction: never
 * half of it, and no rule that a lease does not account for. No lease
 * left: no table. Masqueraded: the subnet's traffic out; a published port
 * reached from the host's loopback; and one reached from another container
 * on the bridge (hairpin), whose answer would else skip the host's
 * conntrack, going straight across the bridge. route_localnet on the
 * bridge (for published ports on 127.0.0.1) would also let a container
 * with CAP_NET_RAW frame packets to 127.0.0.1 by the gateway's MAC and
 * reach what listens on the host's loopback only (the CVE-2020-8558
 * class): "martians" drops them first (found by h5, t/673).
 */
static int write_table(const struct leases *ls)
{
	char *script = NULL, *net;
	size_t len = 0;
	FILE *f = open_memstream(&script, &len);
	int rc;

	if (!f)
		die_errno("nft");
	fputs("table ip carapace\ndelete table ip carapace\n", f);
	if (ls->len) {
		net = xasprintf("%s/%d", ip_text(ls->net), ls->prefix);
		fprintf(f, "table ip carapace {\n"
			"\tchain postrouting {\n"
			"\t\ttype nat hook postrouting priority srcnat; policy accept;\n"
			"\t\tip saddr %s ip daddr != %s masquerade\n"
			"\t\toifname \"%s\" ip saddr 127.0.0.0/8 masquerade\n"
			"\t\toifname \"%s\" ip saddr %s ct status dnat masquerade\n\t}\n"
			"\tchain martians {\n"
			"\t\ttype filter hook prerouting priority raw; policy accept;\n"
			"\t\tiifname \"%s\" ip daddr 127.0.0.0/8 drop\n\t}\n"
			"\tchain prerouting {\n"
			"\t\ttype nat hook prerouting priority dstnat; policy accept;\n",
			net, net, NETWORK_BRIDGE, NETWORK_BRIDGE, net, NETWORK_BRIDGE);
		put_port_rules(f, ls);
		fputs("\t}\n\tchain output {\n"
		      "\t\ttype nat hook output priority -100; policy accept;\n", f);
		put_port_rules(f, ls);
		fputs("\t}\n", f);
		put_forward_rules(f);
		fputs("}\n", f);
		free(net);
	}
	if (fclose(f))
		die_errno("nft");
	rc = run_nft(script);
	free(script);
	return rc;
}

/* ------------------------------------------------------------------ */
/* The bridge                                                         */
/* ------------------------------------------------------------------ */

static int read_sysctl(const char *path)
{
	char buf[16] = "";
	autoclose int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || read(fd, buf, sizeof buf - 1) < 0)
		die_errno("network: %s", path);
	return atoi(buf);
}

static bool write_sysctl_file(const char *path, const char *value)
{
	autoclose int fd = open(path, O_WRONLY | O_CLOEXEC);

	return fd >= 0 && write(fd, value, strlen(value)) == (ssize_t)strlen(value);
}

struct overlap { uint32_t net, mask; int bridge; uint32_t found; int found_len; };

static void note_overlap(uint32_t dst, int len, int oif, void *arg)
{
	struct overlap *o = arg;
	uint32_t mask = prefix_mask(len);

	if (!len || oif == o->bridge || o->found_len)	/* the default route overlaps all */
		return;
	if ((dst & o->mask & mask) == (o->net & o->mask & mask)) {
		o->found = dst;
		o->found_len = len;
	}
}

/* The subnet must be no route's of the host's (ours on the bridge aside). */
static void check_subnet_free(int nl, const struct leases *ls, const char *subnet)
{
	struct overlap o = { ls->net, prefix_mask(ls->prefix),
			     (int)if_nametoindex(NETWORK_BRIDGE), 0, 0 };

	for_each_route(nl, note_overlap, &o);
	if (o.found_len)
		die(EXIT_CANT_RUN, "--subnet: %s overlaps the host's route to %s/%d", subnet,
		    ip_text(o.found), o.found_len);
}

/* carapace0 with the subnet's first address, up; forwarding on. */
static void make_bridge_up(int nl, struct leases *ls)
{
	int err = make_bridge(nl), index;

	if (err && err != -EEXIST)
		nl_check(err, "make the bridge", NETWORK_BRIDGE);
	if (!(index = (int)if_nametoindex(NETWORK_BRIDGE)))
		die_errno("network: %s", NETWORK_BRIDGE);
	err = add_address(nl, index, htonl(ntohl(ls->net) + 1), ls->prefix);
	if (err && err != -EEXIST)
		nl_check(err, "its address", NETWORK_BRIDGE);
	/*
	 * The bridge is IPv4's: with IPv6 on it, the host would take a
	 * container's router advertisements (accept_ra, the kernel's default)
	 * and route its own IPv6 through that container (CVE-2020-10749; h5).
	 */
	if (!write_sysctl_file("/proc/sys/net/ipv6/conf/" NETWORK_BRIDGE "/disable_ipv6", "1") &&
	    errno != ENOENT)
		die_errno("network: %s: IPv6 off", NETWORK_BRIDGE);
	nl_check(link_up(nl, index), "up", NETWORK_BRIDGE);
	ls->forward_was = read_sysctl("/proc/sys/net/ipv4/ip_forward");
	/* Published ports answer on 127.0.0.1 too: DNAT from loopback onto the bridge. */
	if (!write_sysctl_file("/proc/sys/net/ipv4/ip_forward", "1") ||
	    !write_sysctl_file("/proc/sys/net/ipv4/conf/" NETWORK_BRIDGE "/route_localnet", "1"))
		die_errno("network: forwarding on");
	log_debug("network: %s made, %s/%d", NETWORK_BRIDGE, ip_text(ls->net), ls->prefix);
}

/* The last lease gone: no bridge, no table, forwarding as it was. Best effort. */
static void remove_bridge(int nl, const struct leases *ls)
{
	int err = link_delete(nl, NETWORK_BRIDGE);

	if (err && err != -ENODEV)
		log_warn("network: %s: remove: %s", NETWORK_BRIDGE, strerror(-err));
	if (ls->forward_was == 0)
		write_sysctl_file("/proc/sys/net/ipv4/ip_forward", "0");
	if (write_table(ls))
		log_warn("network: nft: the table carapace could not be removed");
}

/* ------------------------------------------------------------------ */
/* The state folder: .network under the state root                   */
/* ------------------------------------------------------------------ */

/* --root, or run's default; NULL for a user without XDG_RUNTIME_DIR. */
static const char *network_root(const struct oci_args *g)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");

	if (g && g->root)
		return g->root;
	if (geteuid() == 0)
		return "/run/carapace";
	return xdg && xdg[0] == '/' ? xasprintf("%s/carapace", xdg) : NULL;
}

/* ROOT's fd, if it is this user's alone (else -1, EPERM): nothing of ours goes elsewhere. */
static int open_state_top(const char *root)
{
	struct stat st;
	int top = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (top >= 0 && (fstat(top, &st) || st.st_uid != geteuid() || (st.st_mode & 022))) {
		close(top);
		errno = EPERM;
		return -1;
	}
	return top;
}

/*
 * ROOT/.network, made if missing; ROOT must be ours alone, as state.c
 * wants it. -1 with errno where it can't be had (a root that is not the
 * host's root, in a user namespace of its own, can't write /run).
 */
static int open_network_dir(const char *root)
{
	autoclose int top = -1;

	if (mkdir(root, 0700) && errno != EEXIST)
		return -1;
	if ((top = open_state_top(root)) < 0 || (mkdirat(top, ".network", 0700) && errno != EEXIST))
		return -1;
	return openat(top, ".network", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

static void remove_files_dir(int dir, const char *name)
{
	autoclose int d = openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	for (size_t i = 0; d >= 0 && i < 3; i++)
		unlinkat(d, etc_files[i], 0);
	unlinkat(dir, name, AT_REMOVEDIR);
}

/* The folders' sweep: .network's fd, and our own folder's name. */
struct files_sweep {
	int dir;
	const char *own;
};

static enum sweep_kind look_at_files_dir(void *arg, int fd, const struct dirent *e)
{
	const struct files_sweep *f = arg;

	(void)fd;
	if (e->d_name[0] == '.' || (e->d_type != DT_DIR && e->d_type != DT_UNKNOWN) ||
	    !strcmp(e->d_name, f->own))
		return SWEEP_SKIP;
	return SWEEP_ENTRY;
}

static void take_files_dir(void *arg, const char *name)
{
	remove_unheld_folder(((const struct files_sweep *)arg)->dir, name);
}

/*
 * The folders of launchers that are gone, SWEEP_LEASES of them, each in
 * turn (sweep_round): a folder whose lock is free is a dead launcher's (or
 * one a launcher has just made, which finds it gone once it has the lock,
 * and makes another: hold_own_folder). A lease's folder goes with it too.
 */
static void sweep_files_dirs(int dir, const char *own)
{
	struct files_sweep f = { dir, own };
	struct sweep s = { .budget = SWEEP_LEASES, .look = look_at_files_dir,
			   .take = take_files_dir, .arg = &f };

	sweep_round(dir, "user.carapace.sweep-from", &s);
}

/*
 * The lock file, flocked. The last container's launcher unlinks it (so
 * that nothing is left in the state root): a lock taken on a file that
 * is no longer the one at "lock" is taken again, on the new one.
 */
static void lock_dir(int dir, int *lock)
{
	struct stat held, named;

	for (;;) {
		*lock = openat(dir, "lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (*lock < 0)
			die_errno("network: lock");
		while (flock(*lock, LOCK_EX))
			if (errno != EINTR)
				die_errno("network: lock");
		if (!fstat(*lock, &held) && !fstatat(dir, "lock", &named, AT_SYMLINK_NOFOLLOW) &&
		    held.st_ino == named.st_ino && held.st_dev == named.st_dev)
			return;
		close(*lock);
	}
}

/* ------------------------------------------------------------------ */
/* /etc/hostname, /etc/hosts and /etc/resolv.conf                     */
/* ------------------------------------------------------------------ */

static void write_etc_file(int dir, const char *name, const char *text)
{
	autoclose int fd = openat(dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
				  0644);
	size_t len = strlen(text);

	if (fd < 0 || fchmod(fd, 0644) || write(fd, text, len) != (ssize_t)len)
		die_errno("network: %s", name);
}

static bool loopback_nameserver(const char *line)
{
	char addr[64];

	return word_is(line, 0, "nameserver") && nth_word(line, 1, addr, sizeof addr) &&
	       (!strncmp(addr, "127.", 4) || !strcmp(addr, "::1"));
}

/* The host's FILE into F: whole for host mode, else without loopback name servers. */
static void copy_host_file(FILE *f, const char *file, bool whole)
{
	struct text_file t;
	char *line;

	if (!open_text_file(&t, "network: the host's ", file))
		return;
	while ((line = next_line(&t)))
		if (whole || !loopback_nameserver(line))
			fprintf(f, "%s\n", line);
	close_text_file(&t);
}

static char *etc_text(const struct container *c, const struct runtime *rt, int which)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	enum network_mode mode = c->network.mode;

	if (!f)
		die_errno("network");
	if (which == 0) {
		fprintf(f, "%s\n", c->hostname);
	} else if (which == 1) {
		if (mode == NET_HOST)
			copy_host_file(f, "/etc/hosts", true);
		else
			fputs("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n", f);
		fprintf(f, "%s\t%s\n", rt->net.addr ? ip_text(rt->net.addr) : "127.0.1.1",
			c->hostname);
	} else if (mode == NET_NONE) {
		fputs("# --network none: no name server\n", f);
	} else {
		copy_host_file(f, "/etc/resolv.conf", mode == NET_HOST);
	}
	if (fclose(f))
		die_errno("network");
	return text;
}

/* ------------------------------------------------------------------ */
/* The hooks: the launcher's, before and after the clone; init's      */
/* ------------------------------------------------------------------ */

static struct {
	const char *root;	/* the state root */
	char name[KEY_SIZE];	/* our folder in .network */
	int held;		/* its fd, flocked while we live; else -1 */
	struct runtime *rt;
	int lock;		/* the lock file's fd while we hold it; else -1 */
	bool registered;
} self = { .held = -1, .lock = -1 };

static void unlock_dir(void)
{
	if (self.lock >= 0)
		close(self.lock);
	self.lock = -1;
}

/* ns:PATH: a network namespace file, opened once; what the fd is, is what is joined. */
static int open_netns_file(const char *path)
{
	struct statfs sfs;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		die_errno("--network: ns:%s", path);
	if (fstatfs(fd, &sfs) || sfs.f_type != NSFS_MAGIC ||
	    ioctl(fd, NS_GET_NSTYPE) != CLONE_NEWNET)
		die(EXIT_CANT_RUN, "--network: ns:%s: not a network namespace", path);
	return fd;
}

/* container:NAME: its init, by a pidfd checked against the state's start time. */
static int open_container_netns(const struct oci_args *g, const char *name)
{
	struct oci_state st;
	int pidfd;

	if (!state_open(&st, g, name))
		die(EXIT_CANT_RUN, "--network: container:%s: no such container", name);
	pidfd = state_status(&st) == STATUS_STOPPED ? -1 : state_pidfd(&st);
	state_close(&st);
	if (pidfd < 0)
		die(EXIT_CANT_RUN, "--network: container:%s: not running", name);
	return pidfd;	/* setns takes a pidfd since Linux 5.8 */
}

static void join_netns(const struct container *c, struct runtime *rt, const struct oci_args *g)
{
	int fd = c->network.mode == NET_NS ? open_netns_file(c->network.target) :
		 open_container_netns(g, c->network.target);

	if (rt->joins_len == sizeof rt->joins / sizeof rt->joins[0])
		die(EXIT_CANT_RUN, "--network: too many namespaces to join");
	rt->joins[rt->joins_len++] = (struct joined_ns){ CLONE_NEWNET, fd };
}

static bool ports_clash(const struct port_map *a, const struct port_map *b)
{
	return a->udp == b->udp && a->host_port == b->host_port &&
	       (!a->host_ip || !b->host_ip || a->host_ip == b->host_ip);
}

/*
 * The live lease that publishes P, or NULL: one of a launcher gone is
 * dropped here, as the bounded sweep may not have come round to it.
 */
static const struct lease *port_holder(const struct port_map *p, struct leases *ls, int dir,
				       int nl)
{
	for (size_t l = 0; l < ls->len; l++)
		for (size_t k = 0; ls->v[l].addr && k < ls->v[l].ports_len; k++)
			if (ports_clash(p, &ls->v[l].ports[k])) {
				if (!launcher_gone(dir, ls->v[l].key))
					return &ls->v[l];
				drop_lease(nl, &ls->v[l]);
			}
	return NULL;
}

/* Each -p port: no other lease's, and free on the host (a listener there would be shadowed). */
static void check_ports(const struct container *c, struct leases *ls, int dir, int nl)
{
	for (size_t i = 0; i < c->network.ports_len; i++) {
		const struct port_map *p = &c->network.ports[i];
		const struct lease *holder = port_holder(p, ls, dir, nl);
		struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(p->host_port),
					  .sin_addr.s_addr = p->host_ip };
		autoclose int fd = -1;

		if (holder)
			die(EXIT_CANT_RUN, "-p: host port %u/%s: already published for %s",
			    p->host_port, p->udp ? "udp" : "tcp", ip_text(holder->addr));
		fd = socket(AF_INET, (p->udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &(int){ 1 }, sizeof(int));
		if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa))
			die(EXIT_CANT_RUN, "-p: host port %u/%s: %s", p->host_port,
			    p->udp ? "udp" : "tcp", errno == EADDRINUSE ?
			    "already in use on the host" : strerror(errno));
	}
	ls->sweep_from = compact_leases(ls, ls->sweep_from);
}

/* Under the lock: the stale swept, an address taken, the bridge and the table as the leases say. */
static void take_lease(const struct container *c, struct runtime *rt, int dir)
{
	const char *subnet = c->network.subnet ? c->network.subnet : NETWORK_DEFAULT_SUBNET;
	struct leases ls = { 0 };
	struct lease mine = { 0 };
	autoclose int nl = nl_open();
	uint32_t net;
	int prefix;
	size_t before;

	snprintf(mine.key, sizeof mine.key, "%s", self.name);
	parse_subnet(subnet, &net, &prefix);
	lock_dir(dir, &self.lock);
	read_leases(dir, &ls);
	before = ls.len;
	sweep_leases(dir, nl, &ls, SWEEP_LEASES);
	if (ls.len && (ls.net != net || ls.prefix != prefix))	/* all, before a refusal */
		sweep_leases(dir, nl, &ls, ls.len);
	if (!ls.len && if_nametoindex(NETWORK_BRIDGE))
		remove_bridge(nl, &ls);	/* a stale one, from a launcher gone */
	if (ls.len && (ls.net != net || ls.prefix != prefix))
		die(EXIT_CANT_RUN, "--subnet: %s: the bridge %s has %s/%d while its containers run",
		    subnet, NETWORK_BRIDGE, ip_text(ls.net), ls.prefix);
	ls.net = net;
	ls.prefix = prefix;
	if (!ls.len)
		check_subnet_free(nl, &ls, subnet);
	check_ports(c, &ls, dir, nl);
	if (!pick_address(&ls, &mine)) {	/* full: maybe of leases the sweep has not seen */
		sweep_leases(dir, nl, &ls, ls.len);
		if (!pick_address(&ls, &mine))
			die(EXIT_CANT_RUN, "--network bridge: no address left in %s", subnet);
	}
	if (c->network.ports_len)
		memcpy(mine.ports, c->network.ports, c->network.ports_len * sizeof *mine.ports);
	mine.ports_len = c->network.ports_len;
	if (!ls.len)
		make_bridge_up(nl, &ls);
	ls.v = xrealloc(ls.v, (ls.len + 1) * sizeof *ls.v);
	ls.v[ls.len++] = mine;
	write_leases(dir, &ls);
	rt->net.leased = true;
	rt->net.addr = mine.addr;
	rt->net.gateway = htonl(ntohl(net) + 1);
	rt->net.prefix = prefix;
	veth_name(rt->net.veth, mine.addr);
	/* The table depends on the subnet and the ports alone: unchanged, nft is not run. */
	if ((ls.len == 1 || mine.ports_len || before + 1 != ls.len) && write_table(&ls))
		die(EXIT_CANT_RUN, "--network bridge: nft could not write the table carapace");
	unlock_dir();
	free(ls.v);
	log_debug("network: %s/%d on %s", ip_text(mine.addr), prefix, NETWORK_BRIDGE);
}

/* The launcher's exit: our veth and lease, then the bridge if no lease is left. */
static void give_lease_back(int dir, struct runtime *rt)
{
	struct leases ls = { 0 };
	autoclose int nl = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	size_t kept = 0, swept;
	bool ported = false;

	if (self.lock < 0)
		lock_dir(dir, &self.lock);
	/*
	 * The veth is not deleted here: it goes with the container's namespace,
	 * which the kernel tears down after init's end; a synchronous delete
	 * costs the launcher's exit some 10 to 40 ms of RCU grace periods.
	 * pick_address skips an address whose veth is still there (a namespace
	 * that another container joined outlives its first).
	 */
	read_leases(dir, &ls);
	for (size_t i = 0; i < ls.len; i++)
		if (ls.v[i].addr != rt->net.addr || strcmp(ls.v[i].key, self.name))
			ls.v[kept++] = ls.v[i];
		else
			ported |= ls.v[i].ports_len > 0;
	swept = ls.len = kept;
	if (nl >= 0)
		sweep_leases(dir, nl, &ls, SWEEP_LEASES);
	write_leases(dir, &ls);
	if (!ls.len && nl >= 0)
		remove_bridge(nl, &ls);
	else if ((ported || swept != ls.len) && write_table(&ls))
		log_warn("network: nft: the table carapace could not be written again");
	rt->net.leased = false;
	if (!ls.len)	/* under the lock still: see lock_dir */
		unlinkat(dir, "lock", 0);
	unlock_dir();
	free(ls.v);
}

static void network_cleanup(void)
{
	struct runtime *rt = self.rt;
	autoclose int dir = -1;
	autoclose int top = open(self.root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (top < 0 || (dir = openat(top, ".network", O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
				     O_CLOEXEC)) < 0)
		return;
	for (size_t i = 0; i < 3; i++)
		if (rt->net.files[i] > 0)
			close(rt->net.files[i]);
	/* The lease first: while it is in the file, our folder is there and held. */
	if (rt->net.leased)
		give_lease_back(dir, rt);
	remove_files_dir(dir, self.name);
	if (self.held >= 0)
		close(self.held);
	self.held = -1;
	unlinkat(top, ".network", AT_REMOVEDIR);	/* when no one else's is in it */
}

/*
 * FILE as a detached, read-only bind, attached later by init in its own
 * mount namespace; -1 before Linux 5.2 (no open_tree: no file of ours).
 * Before 5.12 (no mount_setattr), init makes it read-only once attached.
 */
static int detached_file(int dir, const char *file, bool *remount, bool detached_dir)
{
	struct mount_attr ro = { .attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID |
					     MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC };
	int tree = sys_open_tree(dir, file, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC |
				 AT_SYMLINK_NOFOLLOW);

	if (tree < 0 && (errno == ENOSYS || errno == EPERM || (errno == EINVAL && detached_dir))) {
		/*
		 * EPERM: root of a user namespace, not the host's: init binds them
		 * itself. EINVAL: a detached tmpfs's file, before Linux 6.15.
		 */
		log_debug("network: /etc/%s: open_tree: %s", file, strerror(errno));
		return -1;
	}
	if (tree < 0)
		die_errno("network: %s: a bind of it", file);
	if (sys_mount_setattr(tree, "", AT_EMPTY_PATH, &ro)) {
		if (errno != ENOSYS)
			die_errno("network: %s: read-only", file);
		*remount = true;
	}
	return tree;
}

/*
 * Our folder, PID-RANDOM, with the three files. Root makes each a detached
 * bind here, which init inherits (in a user namespace, init could not
 * even reach the state root); an ordinary user's init opens its own
 * folder by path, before its root change.
 */
static void write_etc_files(const struct container *c, struct runtime *rt, int dir)
{
	autoclose int mine = -1;

	if ((mine = openat(dir, self.name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0 ||
	    fchmod(mine, 0755))
		die_errno("network: %s/.network/%s", self.root, self.name);
	for (int i = 0; i < 3; i++) {
		char *text = etc_text(c, rt, i);

		write_etc_file(mine, etc_files[i], text);
		free(text);
		if (!rt->rootless && (rt->net.files[i] = detached_file(mine, etc_files[i],
								      &rt->net.remount, false)) < 0)
			rt->net.files[i] = 0;
	}
	rt->net.dir = xasprintf("%s/.network/%s", self.root, self.name);
}

/*
 * Root's three files in a tmpfs of their own, detached, each bound from
 * it, so that nothing of them is on the host's disk. A bind of a file of
 * the disk's would let a container given DAC_READ_SEARCH open any file of
 * that disk by a handle it makes up (open_by_handle_at: "shocker"); a
 * tmpfs holds just these files, and its handles carry a random generation.
 * It is faster too: the state root may be on a disk (here /run is ext4,
 * with discard), where .network, our folder and the three files cost
 * about 1 ms a start when starts are spaced out, a tmpfs 0.05 ms. False
 * where the kernel has no fsopen, or can't bind a file of a detached
 * mount (before Linux 6.15): the folder then. A --privileged container
 * that remounts a bind read-write fills no more than the files' pages.
 */
static bool write_etc_tmpfs(const struct container *c, struct runtime *rt)
{
	char *text[3], data[64];
	size_t size = 0;
	int i, fs;

	for (i = 0; i < 3; i++)
		size += (strlen(text[i] = etc_text(c, rt, i)) + 4095) / 4096 * 4096;
	snprintf(data, sizeof data, "size=%zu,nr_inodes=8,mode=0755", size);
	fs = detached_fs("tmpfs", data, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
	if (fs < 0)
		log_debug("network: /etc files: a tmpfs: %s", strerror(errno));
	for (i = 0; i < 3; i++) {
		if (fs >= 0)
			write_etc_file(fs, etc_files[i], text[i]);
		free(text[i]);
	}
	for (i = 0; fs >= 0 && i < 3; i++)
		if ((rt->net.files[i] = detached_file(fs, etc_files[i], &rt->net.remount, true)) < 0)
			break;
	if (fs >= 0 && i == 3) {
		rt->net.tmpfs = fs;	/* closed once init has gone on: network_after_go */
		return rt->net.in_tmpfs = true;
	}
	if (fs >= 0)
		close(fs);
	while (i-- > 0)
		close(rt->net.files[i]);
	memset(rt->net.files, 0, sizeof rt->net.files);
	rt->net.remount = false;
	return false;
}

/* ------------------------------------------------------------------ */
/* Rootless: pasta (Debian's passt) in place of the bridge            */
/* ------------------------------------------------------------------ */

static pid_t pasta = -1;

/* pasta's -t and -u: the published ports, or none (its default, auto, would publish all). */
static void pasta_ports(char **argv, size_t *n, const struct container *c, bool udp)
{
	char *spec = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&spec, &len);

	if (!f)
		die_errno("pasta");
	for (size_t i = 0; i < c->network.ports_len; i++) {
		const struct port_map *p = &c->network.ports[i];

		if (p->udp != udp)
			continue;
		fprintf(f, "%s%s%s%u:%u", len || ftell(f) ? "," : "",
			p->host_ip ? ip_text(p->host_ip) : "", p->host_ip ? "/" : "",
			p->host_port, p->container_port);
	}
	if (!ftell(f))
		fputs("none", f);
	fclose(f);
	argv[(*n)++] = udp ? "-u" : "-t";
	argv[(*n)++] = spec;
}

static void stop_pasta(void)
{
	if (pasta > 0) {
		kill(pasta, SIGTERM);
		waitpid(pasta, NULL, 0);
	}
	pasta = -1;
}

/*
 * pasta in the foreground, our child, with the death signal: it ends with
 * us, SIGKILLed or not. It writes its pid file (a pipe here) once the
 * namespace is configured: then "go".
 */
static void start_pasta(const struct container *c, pid_t init)
{
	char *bin = find_program("pasta"), *argv[24], pidfile[32], pid[16], buf[32];
	int p[2];
	size_t n = 0;
	ssize_t got;

	if (!bin)
		die(EXIT_CANT_RUN, "--network bridge: rootless, the network is pasta's: not found "
		    "(install the package passt)");
	if (pipe2(p, O_CLOEXEC))
		die_errno("pasta");
	snprintf(pidfile, sizeof pidfile, "/proc/self/fd/%d", p[1]);
	snprintf(pid, sizeof pid, "%d", (int)init);
	argv[n++] = "pasta";
	argv[n++] = "--foreground";
	argv[n++] = "--quiet";
	argv[n++] = "--config-net";
	argv[n++] = "--pid";
	argv[n++] = pidfile;
	pasta_ports(argv, &n, c, false);
	pasta_ports(argv, &n, c, true);
	argv[n++] = "-T";
	argv[n++] = "none";	/* the container reaches no port of the host's loopback */
	argv[n++] = "-U";
	argv[n++] = "none";
	argv[n++] = "--no-map-gw";	/* the gateway is the gateway, not the host's loopback */
	argv[n++] = pid;
	argv[n] = NULL;
	if ((pasta = fork()) < 0)
		die_errno("pasta: fork");
	if (pasta == 0) {
		set_fail_mode(FAIL_PRINT, -1);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		fcntl(p[1], F_SETFD, 0);
		sigprocmask(SIG_SETMASK, &(sigset_t){ 0 }, NULL);
		execv(bin, argv);
		die_errno("exec: %s", bin);
	}
	close(p[1]);
	on_launcher_exit(stop_pasta);
	while ((got = read(p[0], buf, sizeof buf)) < 0 && errno == EINTR)
		;
	close(p[0]);
	free(bin);
	if (got <= 0)
		die(EXIT_CANT_RUN, "--network bridge: pasta did not set the network up");
	log_debug("network: pasta %d set up the namespace", (int)pasta);
}

/*
 * .network and our folder in it, made, then flocked for our life: the lock
 * says that we live, to a sweep in any pid namespace (folder_held). A
 * sweep may take it, empty, before we have the lock: we make another.
 * The fd of .network, or -1 with errno.
 */
static int hold_own_folder(const char *root)
{
	struct stat held, named;
	unsigned long long r;
	int dir;

	for (int tries = 0; tries < 5 && (dir = open_network_dir(root)) >= 0; tries++) {
		if (syscall(SYS_getrandom, &r, sizeof r, 0) != sizeof r)
			die_errno("network: getrandom");
		snprintf(self.name, sizeof self.name, "%d-%016llx", (int)getpid(), r);
		if (mkdirat(dir, self.name, 0755) && errno != ENOENT && errno != EEXIST)
			die_errno("network: %s/.network/%s", root, self.name);
		/* ENOENT: .network was removed meanwhile, empty; EEXIST: a name taken. */
		self.held = openat(dir, self.name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		while (self.held >= 0 && flock(self.held, LOCK_EX))
			if (errno != EINTR)
				die_errno("network: %s/.network/%s: lock", root, self.name);
		if (self.held >= 0 && !fstat(self.held, &held) &&
		    !fstatat(dir, self.name, &named, AT_SYMLINK_NOFOLLOW) &&
		    held.st_ino == named.st_ino && held.st_dev == named.st_dev && held.st_nlink)
			return dir;
		if (self.held >= 0)
			close(self.held);
		self.held = -1;
		close(dir);
		errno = ENOENT;
	}
	return -1;
}

/*
 * A start that needs no folder of .network still sweeps what SIGKILLed
 * launchers left there (a bridge's, an older carapace's), and .network
 * itself once it is empty. Where there is none, that is one failed open.
 */
static void sweep_gone_launchers(const struct oci_args *g)
{
	const char *root = network_root(g);
	autoclose int top = root ? open_state_top(root) : -1;
	autoclose int dir = -1;

	if (top < 0 ||
	    (dir = openat(top, ".network", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return;
	sweep_files_dirs(dir, "");
	unlinkat(top, ".network", AT_REMOVEDIR);	/* when no one else's is in it */
}

/*
 * The launcher, before the clone: the namespace to join, the lease, the
 * bridge and the rules, the /etc files. Whatever is made is undone when
 * the launcher exits, whatever way it exits.
 */
void network_prepare(const struct container *c, struct runtime *rt, const struct oci_args *g)
{
	autoclose int dir = -1;
	struct stat folder;
	bool tmpfs_tried = false;

	if (c->network.mode == NET_UNSET)	/* an OCI bundle: config.json says it all */
		return;
	/* A line of /etc/hosts: a newline in it would add lines, a space names. */
	for (const char *p = c->hostname; *p; p++)
		if (isspace((unsigned char)*p))
			die(EXIT_CANT_RUN, "--hostname: '%s': a space or a line break, in a line "
			    "of /etc/hosts", c->hostname);
	if (c->network.mode == NET_HOST)
		log_debug("warning: --network host: the container sees every interface and port "
			  "of the host");
	if (c->network.mode == NET_NS || c->network.mode == NET_CONTAINER)
		join_netns(c, rt, g);
	if (!c->root.tarball && !stat(c->root.path, &folder)) {	/* what init must not write */
		rt->net.folder_dev = folder.st_dev;
		rt->net.folder_ino = folder.st_ino;
	}
	/* Root's files in a tmpfs: then no folder at all, but a bridge's, for its lease. */
	if (c->network.mode != NET_BRIDGE && !rt->rootless) {
		if (write_etc_tmpfs(c, rt)) {
			sweep_gone_launchers(g);
			return;
		}
		tmpfs_tried = true;
	}
	if (!(self.root = network_root(g))) {
		if (c->network.mode == NET_BRIDGE && !rt->rootless)
			die(EXIT_CANT_RUN, "--network bridge: no state root (give --root)");
		log_debug("network: no state root (XDG_RUNTIME_DIR): no /etc files of carapace's");
		return;
	}
	/* Our folder in it, made at once: an empty .network may go (network_cleanup). */
	if ((dir = hold_own_folder(self.root)) < 0) {
		if (c->network.mode == NET_BRIDGE && !rt->rootless)
			die_errno("network: %s/.network", self.root);
		log_debug("network: %s/.network: %s: no /etc files of carapace's", self.root,
			  strerror(errno));
		return;
	}
	sweep_files_dirs(dir, self.name);
	self.rt = rt;
	if (!self.registered)
		on_launcher_exit(network_cleanup);
	self.registered = true;
	if (c->network.mode == NET_BRIDGE && !rt->rootless)
		take_lease(c, rt, dir);	/* first: the address is in /etc/hosts */
	if (rt->rootless || tmpfs_tried || !write_etc_tmpfs(c, rt))
		write_etc_files(c, rt, dir);
}

/*
 * The launcher, once init has "go": the /etc files' tmpfs, detached, which
 * their binds keep. Init puts its mount under the old root, which takes it
 * along (build_filesystem); where it can't (a folder's root, with no
 * scratch tmpfs), the last close dissolves the mount, and that waits for
 * an RCU grace period (0.1 to 0.2 ms here): not before the clone, where
 * the start waits for the launcher, but while init sets the container up.
 */
void network_after_go(struct runtime *rt)
{
	if (rt->net.tmpfs > 0)
		close(rt->net.tmpfs);
	rt->net.tmpfs = 0;
}

/*
 * IPv4 only: with IPv6 on eth0, the container would take another
 * container's router advertisements on the bridge (CVE-2020-13401's
 * class; h5). From a child in init's network namespace: there,
 * /proc/sys/net is the container's, and still writable (init's own
 * /proc/sys is not, by the time init could).
 */
static void eth0_ipv6_off(pid_t init)
{
	char path[64];
	int status;
	pid_t pid;

	snprintf(path, sizeof path, "/proc/%d/ns/net", (int)init);
	if ((pid = fork()) < 0)
		die_errno("network: fork");
	if (pid == 0) {
		int fd = open(path, O_RDONLY | O_CLOEXEC);

		if (fd < 0 || setns(fd, CLONE_NEWNET))
			_exit(1);
		_exit(write_sysctl_file("/proc/sys/net/ipv6/conf/eth0/disable_ipv6", "1") ||
		      errno == ENOENT ? 0 : 1);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			die_errno("network: waitpid");
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		die(EXIT_CANT_RUN, "network: eth0: could not turn IPv6 off in the container");
}

/* The launcher, once init is cloned, before "go": the veth, its peer eth0 in init's namespace. */
void network_attach(const struct container *c, const struct runtime *rt, pid_t init)
{
	autoclose int nl = -1;
	int bridge, veth;

	if (c->network.mode != NET_BRIDGE)
		return;
	if (rt->rootless) {
		start_pasta(c, init);
		return;
	}
	nl = nl_open();
	if (!(bridge = (int)if_nametoindex(NETWORK_BRIDGE)))
		die_errno("network: %s", NETWORK_BRIDGE);
	nl_check(make_veth(nl, rt->net.veth, bridge, init), "make the veth", rt->net.veth);
	if (!(veth = (int)if_nametoindex(rt->net.veth)))
		die_errno("network: %s", rt->net.veth);
	nl_check(link_up(nl, veth), "up", rt->net.veth);
	eth0_ipv6_off(init);
}

/* Init, in its network namespace: eth0's address, up, and the default route. */
void network_inside(const struct container *c, const struct runtime *rt)
{
	autoclose int nl = -1;
	int eth0;

	if (c->network.mode != NET_BRIDGE || rt->rootless)	/* pasta configured it */
		return;
	nl = nl_open();
	if (!(eth0 = (int)if_nametoindex("eth0")))
		die_errno("network: eth0");
	nl_check(add_address(nl, eth0, rt->net.addr, rt->net.prefix), "address", "eth0");
	nl_check(link_up(nl, eth0), "up", "eth0");
	nl_check(add_default_route(nl, eth0, rt->net.gateway), "default route", "eth0");
}

/*
 * NAME in the root's /etc, one name at a time, no symlink followed; made
 * if missing and MAKE (a throwaway root: never in the rootfs folder).
 */
static int open_etc_target(int etc, const char *name, bool make)
{
	struct stat st;
	int fd = openat(etc, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0 && errno == ENOENT && make && !mknodat(etc, name, S_IFREG | 0644, 0))
		fd = openat(etc, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0 && (fstat(fd, &st) || !S_ISREG(st.st_mode))) {
		log_warn("network: /etc/%s: not a regular file in the rootfs (a symlink?): "
			 "left as it is", name);
		close(fd);
		return -1;
	}
	if (fd < 0 && (make || errno != ENOENT))
		log_warn("network: /etc/%s: %s: left as it is", name, strerror(errno));
	return fd;
}

/*
 * Init, before the root change, on ROOT (the new root's fd): each of
 * carapace's files bound read-only over the rootfs's, onto an fd of the
 * target, never by a path the rootfs could redirect.
 */
void network_bind_files(const struct runtime *rt, int root)
{
	autoclose int etc = -1;
	struct stat st;
	bool make;

	if (!rt->net.dir && !rt->net.in_tmpfs)
		return;
	/* A missing file is made in a throwaway root, never in the rootfs folder itself. */
	make = !fstat(root, &st) && (st.st_dev != rt->net.folder_dev ||
				     st.st_ino != rt->net.folder_ino);
	etc = openat(root, "etc", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (etc < 0 && errno == ENOENT && make && !mkdirat(root, "etc", 0755))
		etc = openat(root, "etc", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (etc < 0) {	/* a symlink, a file: the rootfs's own business, not a way out */
		log_warn("network: /etc: %s in the rootfs: carapace's files not bound",
			 strerror(errno));
		for (int i = 0; i < 3; i++)
			if (rt->net.files[i] > 0)
				close(rt->net.files[i]);
		return;
	}
	for (int i = 0; i < 3; i++) {
		autoclose int target = open_etc_target(etc, etc_files[i], make);
		autoclose int tree = rt->net.files[i];
		autoclose int own = -1;
		bool remount = rt->net.remount;
		char path[32];

		if (tree <= 0) {	/* none from the launcher: by path, as an ordinary user */
			own = open(rt->net.dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
			if (own < 0)
				die_errno("network: %s", rt->net.dir);
			tree = detached_file(own, etc_files[i], &remount, false);
		}
		if (tree < 0 || target < 0)
			continue;
		snprintf(path, sizeof path, "/proc/self/fd/%d", tree);
		if (sys_move_mount(tree, target) ||
		    (remount && mount(NULL, path, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_SAFE,
				      NULL)))
			die_errno("network: /etc/%s: bind", etc_files[i]);
	}
}
