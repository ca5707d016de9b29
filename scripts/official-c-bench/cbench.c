/*
 * cbench: minimal driver on the official Aerospike C client (7.3.0), doing per
 * command what aerowire's aw-bench does: random int key in 1..K, key digest
 * computed per command (as_key_init_int64), read all bins or write
 * testbin=<random int>, testbin_2=<fixed 16-char string>.
 *
 *   async: cbench -a [-c 50] [-w 50]   (one libevent loop, N in flight, each
 *          completion issues the next command from the loop thread)
 *   sync : cbench -z 4 [-w 80]          (T threads, blocking calls)
 *
 * Prints commands, commands/s, errors and client CPU per command
 * (getrusage(RUSAGE_SELF) user+sys over the run / commands).
 */
#include <aerospike/aerospike.h>
#include <aerospike/aerospike_key.h>
#include <aerospike/as_event.h>
#include <aerospike/as_event_internal.h>
#include <aerospike/as_record.h>
#include <aerospike/as_string.h>
#include <aerospike/as_key.h>
#include <aerospike/as_log.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <getopt.h>
#include <sys/resource.h>

#define NS "test"
#define SET "testset"
#define STR16 "abcdefghijklmnop"

static aerospike as;
static as_policy_read rpol;
static as_policy_write wpol;
static const char* host = "127.0.0.1";
static int port = 3000;
static uint64_t nkeys = 1000000;
static int read_pct = -1;
static int duration = 20;
static int inflight_n = 50;
static int nthreads = 4;
static bool async_mode = false;

static atomic_bool stop_flag;
static atomic_uint_fast64_t n_cmds, n_errs;
static atomic_int inflight;

/* xorshift64* */
static inline uint64_t rng_next(uint64_t* s)
{
	uint64_t x = *s;
	x ^= x >> 12; x ^= x << 25; x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1DULL;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double cpu_s(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
		ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/* ---------------- async ---------------- */

static uint64_t arng = 0x9E3779B97F4A7C15ULL; /* touched only in the loop thread */

static void issue_async(as_event_loop* loop);

static void done_async(as_error* err, as_event_loop* loop)
{
	atomic_fetch_add_explicit(&n_cmds, 1, memory_order_relaxed);
	if (err) {
		uint64_t e = atomic_fetch_add_explicit(&n_errs, 1, memory_order_relaxed);
		if (e < 5) fprintf(stderr, "error %d: %s\n", err->code, err->message);
	}
	if (atomic_load_explicit(&stop_flag, memory_order_relaxed)) {
		atomic_fetch_sub(&inflight, 1);
		return;
	}
	issue_async(loop);
}

static void read_cb(as_error* err, as_record* rec, void* udata, as_event_loop* loop)
{
	(void)udata;
	as_error bad;
	if (!err && (!rec || rec->bins.size != 2)) {  /* sanity: both bins came back */
		as_error_set_message(&bad, AEROSPIKE_ERR_CLIENT, "read returned wrong bin count");
		err = &bad;
	}
	done_async(err, loop);
}

static void write_cb(as_error* err, void* udata, as_event_loop* loop)
{
	(void)udata;
	done_async(err, loop);
}

static void issue_async(as_event_loop* loop)
{
	for (;;) {
		uint64_t r = rng_next(&arng);
		int64_t k = (int64_t)(r % nkeys) + 1;
		bool is_read = (int)((r >> 40) % 100) < read_pct;
		as_key key;
		as_key_init_int64(&key, NS, SET, k);
		as_error err;
		as_status st;
		if (is_read) {
			st = aerospike_key_get_async(&as, &err, &rpol, &key, read_cb, NULL, loop, NULL);
		}
		else {
			as_record rec;
			as_record_inita(&rec, 2);
			as_string s;
			as_string_init(&s, (char*)STR16, false);
			as_record_set_int64(&rec, "testbin", (int64_t)(rng_next(&arng) >> 1));
			as_record_set_string(&rec, "testbin_2", &s);
			st = aerospike_key_put_async(&as, &err, &wpol, &key, &rec, write_cb, NULL, loop, NULL);
			as_record_destroy(&rec);
		}
		as_key_destroy(&key);
		if (st == AEROSPIKE_OK) return;
		/* synchronous failure to start: count it and try again (or stop) */
		atomic_fetch_add(&n_cmds, 1);
		uint64_t e = atomic_fetch_add(&n_errs, 1);
		if (e < 5) fprintf(stderr, "issue error %d: %s\n", err.code, err.message);
		if (atomic_load(&stop_flag)) { atomic_fetch_sub(&inflight, 1); return; }
	}
}

static void start_async(as_event_loop* loop, void* udata)
{
	(void)udata;
	for (int i = 0; i < inflight_n; i++) issue_async(loop);
}

/* ---------------- sync ---------------- */

static void* sync_worker(void* arg)
{
	uint64_t s = 0x9E3779B97F4A7C15ULL ^ ((uint64_t)(uintptr_t)arg * 0xD1B54A32D192ED03ULL);
	uint64_t cmds = 0, errs = 0;
	while (!atomic_load_explicit(&stop_flag, memory_order_relaxed)) {
		uint64_t r = rng_next(&s);
		int64_t k = (int64_t)(r % nkeys) + 1;
		bool is_read = (int)((r >> 40) % 100) < read_pct;
		as_key key;
		as_key_init_int64(&key, NS, SET, k);
		as_error err;
		as_status st;
		if (is_read) {
			as_record* rec = NULL;
			st = aerospike_key_get(&as, &err, &rpol, &key, &rec);
			if (st == AEROSPIKE_OK && (!rec || rec->bins.size != 2)) {  /* sanity */
				st = as_error_set_message(&err, AEROSPIKE_ERR_CLIENT, "read returned wrong bin count");
			}
			as_record_destroy(rec);
		}
		else {
			as_record rec;
			as_record_inita(&rec, 2);
			as_string str;
			as_string_init(&str, (char*)STR16, false);
			as_record_set_int64(&rec, "testbin", (int64_t)(rng_next(&s) >> 1));
			as_record_set_string(&rec, "testbin_2", &str);
			st = aerospike_key_put(&as, &err, &wpol, &key, &rec);
			as_record_destroy(&rec);
		}
		as_key_destroy(&key);
		cmds++;
		if (st != AEROSPIKE_OK) {
			if (errs++ < 5) fprintf(stderr, "error %d: %s\n", err.code, err.message);
		}
	}
	atomic_fetch_add(&n_cmds, cmds);
	atomic_fetch_add(&n_errs, errs);
	return NULL;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: cbench [-h host] [-p port] (-a [-c N] | -z T) [-t secs] [-w read%%] [-k keys]\n"
		"  -a      async, one libevent loop, -c N commands in flight (default 50), default -w 50\n"
		"  -z T    sync, T threads (default 4), default -w 80\n");
	exit(2);
}

int main(int argc, char** argv)
{
	int opt;
	while ((opt = getopt(argc, argv, "h:p:az:c:t:w:k:")) != -1) {
		switch (opt) {
		case 'h': host = optarg; break;
		case 'p': port = atoi(optarg); break;
		case 'a': async_mode = true; break;
		case 'z': nthreads = atoi(optarg); async_mode = false; break;
		case 'c': inflight_n = atoi(optarg); break;
		case 't': duration = atoi(optarg); break;
		case 'w': read_pct = atoi(optarg); break;
		case 'k': nkeys = strtoull(optarg, NULL, 10); break;
		default: usage();
		}
	}
	if (read_pct < 0) read_pct = async_mode ? 50 : 80;

	if (async_mode && !as_event_create_loops(1)) {
		fprintf(stderr, "as_event_create_loops failed\n");
		return 1;
	}

	as_config cfg;
	as_config_init(&cfg);
	as_config_add_host(&cfg, host, (uint16_t)port);
	/* asbench settings: total timeout 1000 ms, max_retries 1 (both read and write) */
	cfg.policies.read.base.total_timeout = 1000;
	cfg.policies.read.base.max_retries = 1;
	cfg.policies.write.base.total_timeout = 1000;
	cfg.policies.write.base.max_retries = 1;

	aerospike_init(&as, &cfg);
	as_error err;
	if (aerospike_connect(&as, &err) != AEROSPIKE_OK) {
		fprintf(stderr, "connect: %d %s\n", err.code, err.message);
		return 1;
	}
	rpol = as.config.policies.read;
	wpol = as.config.policies.write;

	double c0 = cpu_s(), t0 = now_s();
	pthread_t* th = NULL;
	if (async_mode) {
		atomic_store(&inflight, inflight_n);
		as_event_loop* loop = as_event_loop_get();
		if (!as_event_execute(loop, start_async, NULL)) {
			fprintf(stderr, "as_event_execute failed\n");
			return 1;
		}
	}
	else {
		th = calloc(nthreads, sizeof(pthread_t));
		for (int i = 0; i < nthreads; i++)
			pthread_create(&th[i], NULL, sync_worker, (void*)(uintptr_t)(i + 1));
	}

	struct timespec d = { duration, 0 };
	while (nanosleep(&d, &d) != 0) {}
	atomic_store(&stop_flag, true);

	if (async_mode) {
		while (atomic_load(&inflight) > 0) usleep(100);
	}
	else {
		for (int i = 0; i < nthreads; i++) pthread_join(th[i], NULL);
	}
	double t1 = now_s(), c1 = cpu_s();

	uint64_t cmds = atomic_load(&n_cmds), errs = atomic_load(&n_errs);
	double el = t1 - t0, cpu = c1 - c0;
	printf("mode=%s %s=%d read%%=%d keys=%llu\n", async_mode ? "async" : "sync",
		async_mode ? "inflight" : "threads", async_mode ? inflight_n : nthreads, read_pct,
		(unsigned long long)nkeys);
	printf("commands=%llu elapsed=%.3f s commands/s=%.0f errors=%llu\n",
		(unsigned long long)cmds, el, cmds / el, (unsigned long long)errs);
	printf("cpu=%.3f s (user+sys) cpu/command=%.3f us\n", cpu, cmds ? cpu * 1e6 / cmds : 0.0);

	aerospike_close(&as, &err);
	aerospike_destroy(&as);
	if (async_mode) as_event_close_loops();
	return errs ? 3 : 0;
}
