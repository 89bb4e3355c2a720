/*
 * labkit-avr-bridge: one simulated AVR (libsimavr) that Python drives by lines of text.
 *
 *   labkit-avr-bridge MCU HZ FIRMWARE.hex UART_FD SECONDS
 *
 * The UART (USART0) talks over UART_FD: a pty master (Firmata) or a socket. Every time a
 * program opens the pty, the AVR resets, as the DTR line resets a real Uno.
 * SECONDS > 0 runs free for that much simulated time, then prints "end";
 * SECONDS = 0 runs locked to the wall clock until "quit" or stdin closes.
 *
 * Commands on stdin, one per line. Settings sent before "go" apply from reset.
 *   adc CH MV          the voltage on ADC channel CH, in millivolts
 *   in P BIT L         drive pin BIT of port P from outside to level L (0 or 1)
 *   go                 start running
 *   sync N             answer "s CYCLE N" once the firmware has had what the host wrote
 *   quit
 * Events on stdout; CYCLE counts clock cycles from the start:
 *   ready                   loaded, waiting for "go"
 *   p CYCLE P DDR PORT      port P's direction and output registers changed (decimal)
 *   w CYCLE P BIT DUTY      a timer's PWM duty on that pin changed; -1 when the timer let go
 *   c CYCLE 0|1             no program / some program has the other end open
 *   a CYCLE CH              the ADC converts channel CH (at most every 0.1 s per channel)
 *   t CYCLE                 simulated time goes on (every 10 ms)
 *   l CYCLE                 simulated time is locked to the wall clock from here
 *   s CYCLE N               the answer to "sync N"
 *   x CYCLE                 the AVR was reset
 *   end CYCLE               the free run is over, or the AVR slept with interrupts off
 *   crash CYCLE             the firmware crashed (simavr stopped it)
 *
 * simavr 1.6 quirks handled here: timers do not drive PWM pins, so duty is read from
 * the timer registers; a LOW-level INT0/INT1 is polled every cycle while its pin is low,
 * which crawls, so that polling is off and the tick raises such an interrupt instead; a reset
 * clears the PIN registers but not the IRQ values, so inputs and filters are restored.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>

#include <sim_avr.h>
#include <sim_elf.h>
#include <sim_hex.h>
#include <sim_irq.h>
#include <sim_io.h>
#include <avr_adc.h>
#include <avr_extint.h>
#include <avr_ioport.h>
#include <avr_timer.h>
#include <avr_uart.h>

#define MAX_PORTS 12
#define MAX_PWM 24
#define TICKS_PER_SECOND 1000
/* Held in reset this long after a program opens the pty, so that the program has set up
 * the port (pyserial flushes its input right after opening) before the firmware starts. */
#define CONNECT_HOLD_SECONDS 0.02
/* After a reset, run unthrottled until the firmware first writes to its serial port
 * (StandardFirmata blinks its version for 2 s first), for at most this long. */
#define FAST_BOOT_SECONDS 3.0

typedef struct port_t {
	avr_ioport_t *io;
	int ddr, out;               /* last reported registers */
	uint8_t ext_mask, ext_value; /* pins driven from outside, and their levels */
} port_t;

typedef struct pwm_t {
	avr_timer_t *timer;
	int comp;
	port_t *port;
	int bit;
	double duty;
} pwm_t;

static avr_t *avr;
static FILE *events;
static int uart_fd;
static port_t ports[MAX_PORTS];
static int port_count;
static pwm_t pwms[MAX_PWM];
static int pwm_count;
static uint32_t adc_mv[ADC_IRQ_TEMP];

static int running, quitting, stdin_open = 1;
/* A reset waits for the run loop: simavr restores the PC after the cycle timers run. */
static int reset_pending;
static int client_open;            /* a program holds the other end of UART_FD */
static int open_watch = -1;        /* inotify on the pty's path: tells every open */
static int uart_xoff;
static avr_uart_t *uart0;
static int host_waiting;           /* the pty held unread bytes at the last poll */
static long sync_id = -1;          /* a "sync" waiting for its answer */
static int settled_ticks;          /* ticks since the firmware last had input to handle */
static uint8_t rx_buf[4096];
static size_t rx_len, rx_pos;
static uint8_t tx_buf[4096];
static size_t tx_len;
static avr_cycle_count_t end_cycle, tick_cycles;
static double wall_offset; /* maps the wall clock onto simulated time */
static avr_cycle_count_t boot_until; /* unthrottled until this cycle, 0 once booted */

static void die(const char *what)
{
	fprintf(stderr, "labkit-avr-bridge: %s\n", what);
	exit(2);
}

static double wall_seconds(void)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec + now.tv_nsec / 1e9 - wall_offset;
}

/* From now on, simulated time and the wall clock advance together. */
static void lock_to_wall(void)
{
	wall_offset += wall_seconds() - (double)avr->cycle / avr->frequency;
	fprintf(events, "l %llu\n", (unsigned long long)avr->cycle);
}

static port_t *find_port(char name)
{
	for (int i = 0; i < port_count; i++)
		if (ports[i].io->name == name)
			return &ports[i];
	return NULL;
}

static void report_port(port_t *p, int ddr, int out)
{
	if (ddr == p->ddr && out == p->out)
		return;
	p->ddr = ddr;
	p->out = out;
	fprintf(events, "p %llu %c %d %d\n", (unsigned long long)avr->cycle, p->io->name, ddr, out);
}

/* DIRECTION_ALL fires before simavr stores DDR, REG_PORT after it stores PORT. */
static void on_ddr(avr_irq_t *irq, uint32_t value, void *param)
{
	port_t *p = param;
	report_port(p, value & 0xff, avr->data[p->io->r_port]);
}

static void on_port(avr_irq_t *irq, uint32_t value, void *param)
{
	port_t *p = param;
	report_port(p, avr->data[p->io->r_ddr], value & 0xff);
}

/* Put the outside level on a driven pin. simavr keeps it as the pin's level while
 * the pin is an input (over its pull-up); the PIN bit is written directly because the
 * pin's IRQ filters out a value equal to its last one. Undriven pins are simavr's own. */
static void apply_input(port_t *p, int bit)
{
	uint8_t mask = 1 << bit;
	avr_ioport_external_t ext = { .name = p->io->name, .mask = p->ext_mask, .value = p->ext_value };
	avr_ioctl(avr, AVR_IOCTL_IOPORT_SET_EXTERNAL(p->io->name), &ext);
	if (!(p->ext_mask & mask) || (avr->data[p->io->r_ddr] & mask))
		return; /* an output: the outside level shows once it becomes an input */
	int level = (p->ext_value & mask) != 0;
	if (level)
		avr->data[p->io->r_pin] |= mask;
	else
		avr->data[p->io->r_pin] &= ~mask;
	avr_raise_irq(p->io->io.irq + bit, level);
}

static void apply_inputs(void)
{
	for (int i = 0; i < port_count; i++)
		for (int bit = 0; bit < 8; bit++)
			apply_input(&ports[i], bit);
	for (int ch = 0; ch < ADC_IRQ_TEMP; ch++)
		avr_raise_irq(avr_io_getirq(avr, AVR_IOCTL_ADC_GETIRQ, ch), adc_mv[ch]);
}

static void after_reset(void)
{
	for (int i = 0; i < EXTINT_COUNT; i++)
		avr_extint_set_strict_lvl_trig(avr, i, 0);
	uint32_t no_console = 0;
	for (avr_io_t *io = avr->io_port; io; io = io->next)
		if (!strcmp(io->kind, "uart"))
			avr_ioctl(avr, AVR_IOCTL_UART_SET_FLAGS(((avr_uart_t *)io)->name), &no_console);
	for (int i = 0; i < port_count; i++) {
		avr_irq_t *irq = ports[i].io->io.irq;
		for (int bit = 0; bit < 8; bit++)
			irq[bit].value = (avr->data[ports[i].io->r_pin] >> bit) & 1;
		irq[IOPORT_IRQ_DIRECTION_ALL].value = avr->data[ports[i].io->r_ddr];
		irq[IOPORT_IRQ_REG_PORT].value = avr->data[ports[i].io->r_port];
		report_port(&ports[i], avr->data[ports[i].io->r_ddr], avr->data[ports[i].io->r_port]);
	}
	apply_inputs();
	uart_xoff = 0;
}

static avr_cycle_count_t tick(avr_t *a, avr_cycle_count_t when, void *param);

static void reset_avr(void)
{
	avr_reset(avr);
	fprintf(events, "x %llu\n", (unsigned long long)avr->cycle);
	after_reset();
	boot_until = avr->cycle + (avr_cycle_count_t)(FAST_BOOT_SECONDS * avr->frequency);
	avr_cycle_timer_cancel(avr, tick, NULL);
	avr_cycle_timer_register(avr, tick_cycles, tick, NULL);
}

static uint32_t timer_reg(avr_io_addr_t lo, avr_io_addr_t hi)
{
	return avr->data[lo] | (hi ? avr->data[hi] << 8 : 0);
}

/* The waveform modes of the datasheets' 8- and 16-bit timers, by WGM bits: simavr 1.6
 * leaves some out (Timer1's 8-bit phase-correct mode, which Arduino uses, among them). */
#define PHASE(_size, _top) { .kind = avr_timer_wgm_pwm, .size = _size, .top = _top }
#define FAST(_size, _top) { .kind = avr_timer_wgm_fast_pwm, .size = _size, .top = _top }
static const avr_timer_wgm_t wgm8[8] = {
	[1] = PHASE(8, avr_timer_wgm_reg_constant), [3] = FAST(8, avr_timer_wgm_reg_constant),
	[5] = PHASE(8, avr_timer_wgm_reg_ocra), [7] = FAST(8, avr_timer_wgm_reg_ocra),
};
static const avr_timer_wgm_t wgm16[16] = {
	[1] = PHASE(8, avr_timer_wgm_reg_constant), [2] = PHASE(9, avr_timer_wgm_reg_constant),
	[3] = PHASE(10, avr_timer_wgm_reg_constant), [5] = FAST(8, avr_timer_wgm_reg_constant),
	[6] = FAST(9, avr_timer_wgm_reg_constant), [7] = FAST(10, avr_timer_wgm_reg_constant),
	[8] = PHASE(16, avr_timer_wgm_reg_icr), [9] = PHASE(16, avr_timer_wgm_reg_ocra),
	[10] = PHASE(16, avr_timer_wgm_reg_icr), [11] = PHASE(16, avr_timer_wgm_reg_ocra),
	[14] = FAST(16, avr_timer_wgm_reg_icr), [15] = FAST(16, avr_timer_wgm_reg_ocra),
};

/* The duty a timer channel puts on its pin, or -1 when the channel does not drive it. */
static double pwm_duty(const pwm_t *w)
{
	avr_timer_t *t = w->timer;
	avr_timer_comp_t *c = &t->comp[w->comp];
	int com = avr_regbit_get(avr, c->com);
	int bits = avr_regbit_get_array(avr, t->wgm, 4);
	avr_timer_wgm_t mode = t->r_tcnth ? wgm16[bits & 15] : wgm8[bits & 7];
	if (com < 2 || !mode.kind)
		return -1;
	if (!(avr->data[w->port->io->r_ddr] & (1 << w->bit)))
		return -1;
	uint32_t top;
	if (mode.top == avr_timer_wgm_reg_ocra)
		top = timer_reg(t->comp[0].r_ocr, t->comp[0].r_ocrh);
	else if (mode.top == avr_timer_wgm_reg_icr)
		top = timer_reg(t->r_icr, t->r_icrh);
	else
		top = (1u << mode.size) - 1;
	uint32_t ocr = timer_reg(c->r_ocr, c->r_ocrh);
	double duty;
	if (top == 0)
		duty = 0;
	else if (mode.kind == avr_timer_wgm_fast_pwm)
		duty = ocr >= top ? 1.0 : (ocr + 1.0) / (top + 1.0);
	else
		duty = ocr >= top ? 1.0 : (double)ocr / top;
	return com == 3 ? 1.0 - duty : duty;
}

/* A LOW-level external interrupt fires for as long as its pin is low: once per tick here. */
static void raise_low_level_interrupts(void)
{
	for (avr_io_t *io = avr->io_port; io; io = io->next) {
		if (strcmp(io->kind, "extint"))
			continue;
		avr_extint_t *x = (avr_extint_t *)io;
		for (int i = 0; i < EXTINT_COUNT && x->eint[i].port_ioctl; i++) {
			avr_int_vector_t *v = &x->eint[i].vector;
			avr_ioport_state_t state;
			if (!x->eint[i].isc[1].reg || avr_regbit_get_array(avr, x->eint[i].isc, 2) != 0
					|| !avr_regbit_get(avr, v->enable) || avr_regbit_get(avr, v->raised) || v->pending
					|| avr_ioctl(avr, AVR_IOCTL_IOPORT_GETSTATE(x->eint[i].port_ioctl & 0xff), &state) < 0)
				continue;
			if (!((state.pin >> x->eint[i].port_pin) & 1))
				avr_raise_interrupt(avr, v);
		}
	}
}

static void scan_pwm(void)
{
	for (int i = 0; i < pwm_count; i++) {
		double duty = pwm_duty(&pwms[i]);
		if (duty != pwms[i].duty) {
			pwms[i].duty = duty;
			fprintf(events, "w %llu %c %d %.9f\n", (unsigned long long)avr->cycle,
				pwms[i].port->io->name, pwms[i].bit, duty);
		}
	}
}

static void command(char *line)
{
	char port_name, level;
	int channel, bit, mv;
	if (sscanf(line, "adc %d %d", &channel, &mv) == 2 && channel >= 0 && channel < ADC_IRQ_TEMP) {
		adc_mv[channel] = mv < 0 ? 0 : mv;
		avr_raise_irq(avr_io_getirq(avr, AVR_IOCTL_ADC_GETIRQ, channel), adc_mv[channel]);
	} else if (sscanf(line, "in %c %d %c", &port_name, &bit, &level) == 3 && bit >= 0 && bit < 8) {
		port_t *p = find_port(port_name);
		if (!p)
			return;
		uint8_t mask = 1 << bit;
		p->ext_mask |= mask;
		p->ext_value = level == '1' ? p->ext_value | mask : p->ext_value & ~mask;
		apply_input(p, bit);
	} else if (!strcmp(line, "go")) {
		running = 1;
	} else if (sscanf(line, "sync %ld", &sync_id) == 1) {
		/* answered from the tick */
	} else if (!strcmp(line, "quit")) {
		quitting = 1;
	} else {
		fprintf(stderr, "labkit-avr-bridge: unknown command: %s\n", line);
	}
}

/* Read whatever commands are waiting; returns 0 once stdin is closed. */
static int read_commands(void)
{
	static char buf[4096];
	static size_t len;
	ssize_t n = read(0, buf + len, sizeof(buf) - 1 - len);
	if (n == 0)
		return 0;
	if (n < 0)
		return errno == EAGAIN || errno == EINTR;
	len += n;
	char *start = buf, *nl;
	while ((nl = memchr(start, '\n', buf + len - start))) {
		*nl = 0;
		command(start);
		start = nl + 1;
	}
	len -= start - buf;
	memmove(buf, start, len);
	return 1;
}

static void flush_uart(void)
{
	if (!client_open)
		tx_len = 0; /* like a USB-serial chip with no program on the port */
	size_t done = 0;
	while (done < tx_len) {
		ssize_t n = write(uart_fd, tx_buf + done, tx_len - done);
		if (n <= 0)
			break; /* the reader is not keeping up: drop, as a serial line would */
		done += n;
	}
	tx_len = 0;
}

static void on_uart_out(avr_irq_t *irq, uint32_t value, void *param)
{
	if (boot_until) {
		boot_until = 0;
		lock_to_wall();
	}
	if (tx_len == sizeof(tx_buf))
		flush_uart();
	tx_buf[tx_len++] = value;
}

static void on_adc_start(avr_irq_t *irq, uint32_t value, void *param)
{
	static avr_cycle_count_t reported[ADC_IRQ_TEMP];
	union { avr_adc_mux_t mux; uint32_t v; } e = { .v = value };
	int channel = e.mux.src;
	if (e.mux.kind != ADC_MUX_SINGLE || channel >= ADC_IRQ_TEMP)
		return;
	if (reported[channel] && avr->cycle - reported[channel] < avr->frequency / 10)
		return;
	reported[channel] = avr->cycle;
	fprintf(events, "a %llu %d\n", (unsigned long long)avr->cycle, channel);
}

static void on_xon(avr_irq_t *irq, uint32_t value, void *param) { if (value) uart_xoff = 0; }
static void on_xoff(avr_irq_t *irq, uint32_t value, void *param) { if (value) uart_xoff = 1; }

static void feed_uart(void)
{
	avr_irq_t *in = avr_io_getirq(avr, AVR_IOCTL_UART_GETIRQ('0'), UART_IRQ_INPUT);
	while (rx_pos < rx_len && !uart_xoff)
		avr_raise_irq(in, rx_buf[rx_pos++]);
}

/* Wait up to timeout_ms for commands and UART bytes, and track the pty's other end. */
static void poll_outside(int timeout_ms)
{
	struct pollfd fds[3] = {
		{ .fd = stdin_open ? 0 : -1, .events = POLLIN },
		{ .fd = uart_fd, .events = POLLIN },
		{ .fd = open_watch, .events = POLLIN },
	};
	if (poll(fds, 3, timeout_ms) < 0)
		return;
	if (fds[2].revents & POLLIN) {
		char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
		if (read(open_watch, buf, sizeof(buf)) > 0) /* only IN_OPEN is watched */
			reset_pending = 1;
	}
	if (fds[0].revents & (POLLIN | POLLHUP) && !read_commands()) {
		/* Python has gone: a free run may finish, a real-time one must stop. */
		stdin_open = 0;
		quitting = !end_cycle;
	}
	int open_now = !(fds[1].revents & POLLHUP);
	if (open_now != client_open) {
		client_open = open_now;
		fprintf(events, "c %llu %d\n", (unsigned long long)avr->cycle, open_now);
	}
	host_waiting = (fds[1].revents & POLLIN) != 0;
	if (host_waiting && rx_pos == rx_len) {
		ssize_t n = read(uart_fd, rx_buf, sizeof(rx_buf));
		rx_pos = 0;
		rx_len = n > 0 ? n : 0;
	}
}

static avr_cycle_count_t tick(avr_t *a, avr_cycle_count_t when, void *param)
{
	static int ticks;
	if (++ticks % (TICKS_PER_SECOND / 100) == 0)
		fprintf(events, "t %llu\n", (unsigned long long)a->cycle);
	scan_pwm();
	raise_low_level_interrupts();
	flush_uart();
	fflush(events);
	double sim = (double)a->cycle / a->frequency;
	if (end_cycle) {
		poll_outside(0);
		if (a->cycle >= end_cycle)
			quitting = 1;
	} else if (boot_until && a->cycle < boot_until) {
		poll_outside(0);
	} else {
		if (boot_until) {
			boot_until = 0;
			lock_to_wall();
		}
		double ahead = sim - wall_seconds();
		if (ahead < -0.1) { /* too slow to keep up: let the wall clock go, do not race */
			lock_to_wall();
			ahead = 0;
		}
		poll_outside(ahead > 0 ? (int)(ahead * 1000) : 0);
	}
	feed_uart();
	/* Settled: every byte the host wrote is in the firmware's hands for a full tick. */
	int settled = rx_pos == rx_len && !host_waiting && uart0->input.read == uart0->input.write;
	settled_ticks = settled ? settled_ticks + 1 : 0;
	if (sync_id >= 0 && settled_ticks >= 2) {
		fprintf(events, "s %llu %ld\n", (unsigned long long)a->cycle, sync_id);
		sync_id = -1;
	}
	return when + tick_cycles;
}

static void no_sleep(avr_t *a, avr_cycle_count_t how_long) {}

static void quiet_logger(avr_t *a, const int level, const char *format, va_list ap)
{
	if (level <= LOG_ERROR)
		vfprintf(stderr, format, ap);
}

static void load_hex(const char *path, const char *mcu, uint32_t hz)
{
	ihex_chunk_p chunks = NULL;
	int count = read_ihex_chunks(path, &chunks);
	if (count <= 0)
		die("cannot read the firmware (an Intel HEX file)");
	elf_firmware_t f;
	memset(&f, 0, sizeof(f));
	snprintf(f.mmcu, sizeof(f.mmcu), "%s", mcu);
	f.frequency = hz;
	f.vcc = f.avcc = f.aref = 5000;
	for (int i = 0; i < count; i++)
		if (chunks[i].baseaddr < 1024 * 1024) {
			f.flash = chunks[i].data;
			f.flashsize = chunks[i].size;
			f.flashbase = chunks[i].baseaddr;
		}
	avr = avr_make_mcu_by_name(mcu);
	if (!avr)
		die("simavr does not know this MCU");
	avr_init(avr);
	avr->log = LOG_WARNING;
	avr_load_firmware(avr, &f);
	avr->pc = f.flashbase;
}

static void hook_peripherals(void)
{
	for (avr_io_t *io = avr->io_port; io; io = io->next)
		if (!strcmp(io->kind, "port") && port_count < MAX_PORTS) {
			port_t *p = &ports[port_count++];
			p->io = (avr_ioport_t *)io;
			p->ddr = p->out = 0; /* as after reset */
			avr_irq_register_notify(io->irq + IOPORT_IRQ_DIRECTION_ALL, on_ddr, p);
			avr_irq_register_notify(io->irq + IOPORT_IRQ_REG_PORT, on_port, p);
		}
	for (avr_io_t *io = avr->io_port; io; io = io->next)
		if (!strcmp(io->kind, "timer")) {
			avr_timer_t *t = (avr_timer_t *)io;
			for (int c = 0; c < AVR_TIMER_COMP_COUNT && pwm_count < MAX_PWM; c++) {
				avr_regbit_t pin = t->comp[c].com_pin;
				for (int i = 0; i < port_count && t->comp[c].r_ocr; i++)
					if (ports[i].io->r_port == pin.reg && pin.reg)
						pwms[pwm_count++] = (pwm_t){ t, c, &ports[i], pin.bit, -1 };
			}
		}
	for (avr_io_t *io = avr->io_port; io; io = io->next)
		if (!strcmp(io->kind, "uart") && ((avr_uart_t *)io)->name == '0')
			uart0 = (avr_uart_t *)io;
	if (!uart0)
		die("this MCU has no USART0");
	avr_irq_register_notify(avr_io_getirq(avr, AVR_IOCTL_UART_GETIRQ('0'), UART_IRQ_OUTPUT), on_uart_out, NULL);
	avr_irq_register_notify(avr_io_getirq(avr, AVR_IOCTL_UART_GETIRQ('0'), UART_IRQ_OUT_XON), on_xon, NULL);
	avr_irq_register_notify(avr_io_getirq(avr, AVR_IOCTL_UART_GETIRQ('0'), UART_IRQ_OUT_XOFF), on_xoff, NULL);
	avr_irq_register_notify(avr_io_getirq(avr, AVR_IOCTL_ADC_GETIRQ, ADC_IRQ_OUT_TRIGGER), on_adc_start, NULL);
}

int main(int argc, char **argv)
{
	if (argc != 6)
		die("usage: labkit-avr-bridge MCU HZ FIRMWARE.hex UART_FD SECONDS");
	/* simavr prints to stdout; keep stdout for events only. */
	events = fdopen(dup(1), "w");
	dup2(2, 1);
	setvbuf(events, NULL, _IOFBF, 1 << 16);
	avr_global_logger_set(quiet_logger);

	uint32_t hz = strtoul(argv[2], NULL, 10);
	load_hex(argv[3], argv[1], hz);
	uart_fd = atoi(argv[4]);
	const char *pts = ptsname(uart_fd);
	if (pts) {
		open_watch = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
		if (open_watch < 0 || inotify_add_watch(open_watch, pts, IN_OPEN) < 0)
			die("cannot watch the pty for programs opening it");
	}
	double seconds = atof(argv[5]);
	end_cycle = seconds > 0 ? (avr_cycle_count_t)(seconds * hz) : 0;
	tick_cycles = hz / TICKS_PER_SECOND;
	avr->sleep = no_sleep; /* the tick paces the run, not simavr's usleep */

	hook_peripherals();
	after_reset();
	fprintf(events, "ready\n");
	fflush(events);
	while (!running && !quitting)
		if (!read_commands())
			quitting = 1;

	struct pollfd probe = { .fd = uart_fd, .events = POLLIN };
	client_open = !(poll(&probe, 1, 0) >= 0 && (probe.revents & POLLHUP));
	fprintf(events, "c 0 %d\n", client_open);
	if (!end_cycle) {
		lock_to_wall();
		boot_until = (avr_cycle_count_t)(FAST_BOOT_SECONDS * hz);
	}
	avr_cycle_timer_register(avr, tick_cycles, tick, NULL);
	while (!quitting) {
		if (reset_pending) {
			reset_pending = 0;
			reset_avr();
			double until = wall_seconds() + CONNECT_HOLD_SECONDS;
			for (double left; !quitting && (left = until - wall_seconds()) > 0;)
				poll_outside((int)(left * 1000) + 1);
			continue; /* another open may have come meanwhile */
		}
		int state = avr_run(avr);
		if (state == cpu_Crashed) {
			flush_uart();
			fprintf(events, "crash %llu\n", (unsigned long long)avr->cycle);
			fflush(events);
			return 1;
		}
		if (state == cpu_Done)
			break; /* slept with interrupts off: nothing can wake it */
	}
	flush_uart();
	if (end_cycle || avr->state == cpu_Done)
		fprintf(events, "end %llu\n", (unsigned long long)avr->cycle);
	fflush(events);
	return 0;
}
