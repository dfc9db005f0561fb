/*
 * fcgi-hello: the GET ceiling of the benchmark (bench/run). The least a
 * libfcgi responder can do behind the same nginx: accept, answer a fixed
 * page, finish. Same process shape as the workers (a prefork of children
 * accepting on one unix socket, one request per connection as nginx's
 * fastcgi_keep_conn off asks), with none of their work.
 *
 *   fcgi-hello [-n CHILDREN] [-u USER] SOCKET
 *
 * The page is "hello\n", or with a query string "n=BYTES" a text/html body
 * of exactly BYTES bytes (at most FCGI_HELLO_MAX), so that the ceiling can
 * carry as many bytes as the page it is the ceiling of. CHILDREN defaults
 * to two per core, as the workers'. The socket is made 0666: it lives in
 * the bench's private run directory and nginx's workers must reach it.
 * SIGTERM or SIGINT stops the children and the master.
 */
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fcgiapp.h>

#define FCGI_HELLO_MAX		(1 << 20)
#define FCGI_HELLO_CHILDREN	64
#define FCGI_HELLO_BACKLOG	128

static volatile sig_atomic_t hello_stop;
static char *hello_page;	/* FCGI_HELLO_MAX bytes of filler */

static void
hello_signal(int sig)
{
	(void)sig;
	hello_stop = 1;
}

static void
usage(void)
{
	fprintf(stderr, "usage: fcgi-hello [-n children] [-u user] socket\n");
	exit(2);
}

/* n=BYTES from the query string; -1 when absent or not a number. */
static long
hello_size(const char *q)
{
	long	 v = 0;

	if (q == NULL || strncmp(q, "n=", 2) != 0)
		return -1;
	for (q += 2; *q >= '0' && *q <= '9'; q++)
		if ((v = v * 10 + (*q - '0')) > FCGI_HELLO_MAX)
			return FCGI_HELLO_MAX;
	return v;
}

static void
hello_child(int sock)
{
	FCGX_Request	 fr;
	long		 n;

	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGPIPE, SIG_IGN);
	if (FCGX_InitRequest(&fr, sock, 0) != 0)
		_exit(3);
	while (FCGX_Accept_r(&fr) >= 0) {
		n = hello_size(FCGX_GetParam("QUERY_STRING", fr.envp));
		if (n < 0) {
			FCGX_PutS("Status: 200 OK\r\n"
			    "Content-Type: text/plain; charset=utf-8\r\n"
			    "\r\nhello\n", fr.out);
		} else {
			FCGX_FPrintF(fr.out, "Status: 200 OK\r\n"
			    "Content-Type: text/html; charset=utf-8\r\n"
			    "Cache-Control: no-store\r\n\r\n");
			FCGX_PutStr(hello_page, (int)n, fr.out);
		}
		FCGX_Finish_r(&fr);
	}
	_exit(0);
}

static int
hello_drop(const char *user)
{
	struct passwd	*pw;

	if (user == NULL || geteuid() != 0)
		return 0;
	if ((pw = getpwnam(user)) == NULL) {
		fprintf(stderr, "fcgi-hello: no such user: %s\n", user);
		return -1;
	}
	if (setgroups(0, NULL) == -1 || setgid(pw->pw_gid) == -1 ||
	    setuid(pw->pw_uid) == -1) {
		fprintf(stderr, "fcgi-hello: cannot become %s: %s\n", user,
		    strerror(errno));
		return -1;
	}
	return 0;
}

int
main(int argc, char *argv[])
{
	struct sigaction sa;
	pid_t		 kids[FCGI_HELLO_CHILDREN];
	const char	*user = NULL;
	long		 cores = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned	 n = 0, i;
	int		 ch, sock, status;
	pid_t		 pid;

	while ((ch = getopt(argc, argv, "n:u:")) != -1)
		switch (ch) {
		case 'n':
			n = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'u':
			user = optarg;
			break;
		default:
			usage();
		}
	if (argc - optind != 1)
		usage();
	if (n == 0)
		n = cores > 0 ? (unsigned)cores * 2 : 2;
	if (n > FCGI_HELLO_CHILDREN)
		n = FCGI_HELLO_CHILDREN;

	if ((hello_page = malloc(FCGI_HELLO_MAX)) == NULL)
		return 1;
	for (i = 0; i < FCGI_HELLO_MAX; i++)
		hello_page[i] = (i % 64 == 63) ? '\n' : "hello "[i % 6];

	if (FCGX_Init() != 0)
		return 1;
	(void)unlink(argv[optind]);
	if ((sock = FCGX_OpenSocket(argv[optind], FCGI_HELLO_BACKLOG)) < 0) {
		fprintf(stderr, "fcgi-hello: cannot listen on %s\n",
		    argv[optind]);
		return 1;
	}
	if (chmod(argv[optind], 0666) == -1 || hello_drop(user) == -1)
		return 1;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = hello_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	for (i = 0; i < n; i++) {
		if ((kids[i] = fork()) == -1) {
			perror("fcgi-hello: fork");
			kids[i] = 0;
		} else if (kids[i] == 0)
			hello_child(sock);
	}
	while (!hello_stop) {
		pid = waitpid(-1, &status, 0);
		if (pid == -1 && errno != EINTR)
			break;
	}
	for (i = 0; i < n; i++)
		if (kids[i] > 0)
			kill(kids[i], SIGTERM);
	for (i = 0; i < n; i++)
		if (kids[i] > 0)
			waitpid(kids[i], &status, 0);
	(void)unlink(argv[optind]);
	return 0;
}
