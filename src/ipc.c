/*
 * ipc.c: the messages between the launcher and init.
 *
 * SPDX-License-Identifier: MIT
 */
#include "carapace.h"

void send_msg(int sock, char type, int code, const char *text)
{
	char buf[1024];
	size_t n = text ? strnlen(text, sizeof buf - 2) : 0;

	buf[0] = type;
	buf[1] = (char)code;
	if (n)
		memcpy(buf + 2, text, n);
	/* Nothing to do if the launcher is gone: PDEATHSIG ends us anyway. */
	(void)!send(sock, buf, n + 2, MSG_NOSIGNAL);
}

/* The launcher's next message; *FD gets the fd it carries, if it carries one. */
char wait_msg(int sock, int *fd)
{
	char buf[2], cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof buf };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = cbuf, .msg_controllen = sizeof cbuf };
	struct cmsghdr *cm;

	if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) <= 0)
		_exit(EXIT_CANT_RUN);	/* the launcher is gone */
	cm = CMSG_FIRSTHDR(&msg);
	if (fd && cm && cm->cmsg_type == SCM_RIGHTS)
		memcpy(fd, CMSG_DATA(cm), sizeof(int));
	return buf[0];
}

void send_fd(int sock, char type, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = &type, .iov_len = 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = cbuf, .msg_controllen = sizeof cbuf };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof fd);
	if (sendmsg(sock, &msg, MSG_NOSIGNAL) < 0)
		die_errno("sendmsg: %c", type);
}
