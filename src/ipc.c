/*
 * ipc.c: the messages between the launcher and init, one layer for all.
 *
 * One message is one SOCK_SEQPACKET packet: a fixed header, then the
 * text, and an fd as SCM_RIGHTS where it carries one. The kernel keeps
 * packets whole, so a reader never sees half a message, and a header that
 * disagrees with the packet's size is refused, never guessed at.
 *
 * SPDX-License-Identifier: MIT
 */
#include "carapace.h"

struct ipc_header {
	uint32_t type;
	int32_t code;
	int32_t err;
	uint32_t len;		/* of the text that follows, without a NUL */
};

/* Sends M; false with errno if it didn't go (EPIPE: the other side is gone). */
bool ipc_send(int sock, const struct ipc_msg *m)
{
	size_t len = strnlen(m->text, sizeof m->text);
	struct ipc_header h = { .type = (uint32_t)m->type, .code = m->code,
				.err = m->err, .len = (uint32_t)len };
	/* The one const cast: struct iovec has no const pointer, and sendmsg only reads it. */
	struct iovec iov[2] = { { &h, sizeof h }, { (char *)m->text, len } };
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = 2 };

	if (len == sizeof m->text) {	/* no NUL: not a text we could send whole */
		errno = EMSGSIZE;
		return false;
	}
	if (m->fd >= 0) {
		struct cmsghdr *cm;

		msg.msg_control = cbuf;
		msg.msg_controllen = sizeof cbuf;
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &m->fd, sizeof m->fd);
	}
	return sendmsg(sock, &msg, MSG_NOSIGNAL) == (ssize_t)(sizeof h + len);
}

/* The fd that MSG carries, or -1. */
static int received_fd(struct msghdr *msg)
{
	struct cmsghdr *cm = CMSG_FIRSTHDR(msg);
	int fd = -1;

	if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS &&
	    cm->cmsg_len == CMSG_LEN(sizeof(int)))
		memcpy(&fd, CMSG_DATA(cm), sizeof fd);
	return fd;
}

/*
 * Receives one message into M: 1, 0 at end of file (the other side is
 * gone), or -1 with errno; EBADMSG for a packet that is not a message.
 * M's fd is the one it carried, or -1; the caller owns it.
 */
int ipc_recv(int sock, struct ipc_msg *m)
{
	struct ipc_header h;
	struct iovec iov[2] = { { &h, sizeof h }, { m->text, sizeof m->text - 1 } };
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = 2,
			      .msg_control = cbuf, .msg_controllen = sizeof cbuf };
	ssize_t n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);

	m->fd = -1;
	if (n <= 0)
		return (int)n;
	m->fd = received_fd(&msg);
	if ((size_t)n < sizeof h || h.len != (size_t)n - sizeof h ||
	    (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
		if (m->fd >= 0)
			close(m->fd);
		m->fd = -1;
		errno = EBADMSG;
		return -1;
	}
	m->type = (enum msg_type)h.type;
	m->code = h.code;
	m->err = h.err;
	m->text[h.len] = '\0';
	return 1;
}

/*
 * Init's side of a step: the launcher's next message must be WANT. FD
 * gets the fd it carries, or -1; without FD, one is closed. False for
 * anything else, end of file included.
 */
bool ipc_expect(int sock, enum msg_type want, int *fd)
{
	struct ipc_msg m;

	if (ipc_recv(sock, &m) <= 0)
		return false;
	if (fd && m.type == want)
		*fd = m.fd;
	else if (m.fd >= 0)
		close(m.fd);
	return m.type == want;
}
