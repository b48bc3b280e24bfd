/*
 * cli_usage: the --help text of every command, in one place so the words a
 * user reads are easy to review together (cli.h).
 */
#include "cli.h"

#include "matrix.h"

const char usage_main[] =
	"usage: acklab COMMAND [ARGS]\n"
	"\n"
	"acklab builds an isolated network of Linux namespaces, runs a chat server and\n"
	"clients on it, breaks the network, the processes or the storage at precise\n"
	"moments, and checks every message: lost, duplicated, phantom, or fine.\n"
	"\n"
	"commands:\n"
	"  run [SCENARIO...]   run scenarios against send stacks and print the matrix\n"
	"  report DIR...       check stored runs again and merge them into one matrix\n"
	"  list                the scenarios, the stacks and the fault primitives\n"
	"  check [FILE...]     parse and validate scenario/stack files without running\n"
	"  doctor              check this machine and prove every fault primitive on TCP\n"
	"  explore SCENARIO    random fault schedules from seeds, until a property fails\n"
	"  shrink PLAN         cut a failing plan down to a minimal scenario file\n"
	"  study detection     how long each way of noticing a half-open connection takes\n"
	"  help COMMAND        help on one command\n"
	"\n"
	"options for every command:\n"
	"  --scenarios-dir DIR  the scenarios (default: the project's scenarios/, or\n"
	"                       $ACKLAB_SCENARIOS); the stacks are DIR/stacks unless\n"
	"  --stacks-dir DIR     says where they are\n"
	"\n"
	"exit status: 0 every cell met its expectation, 1 one did not (or a report\n"
	"could not be written), 2 usage or scenario error, 4 this machine cannot run\n"
	"it (the reason is printed), 130 interrupted (SIGINT/SIGTERM; everything it\n"
	"made is gone all the same).\n"
	"Works as root and as a normal user (it uses a user namespace).\n";

const char usage_run[] =
	"usage: acklab run [SCENARIO...] [--stack S,...] [--out DIR [--force]] [-j N] [-v]\n"
	"                  [--shard K/N] [--seed N] [--summary FILE]\n"
	"       acklab run --plan DIR/plan.json [--out DIR] [-v]\n"
	"\n"
	"Runs every SCENARIO (a name like lost-ack, or a .scn path; default: all in\n"
	"the scenarios folder) against every stack (default: the five send stacks,\n"
	"plus any control stack a scenario names), one isolated network per cell.\n"
	"Each cell goes through the stages plan (plan.json), run (history.jsonl,\n"
	"store.jsonl, cell.json), check and report, with its folder between them.\n"
	"\n"
	"  --stack S,...   only these stacks: names (see `acklab list`) or paths to\n"
	"                  .stack files of your own; a stack named here runs even\n"
	"                  when its file says `default no`. A .stack file is code: its\n"
	"                  commands run with acklab's privileges.\n"
	"  --out DIR       write the run to DIR (default: reports/<time>-<id>, and\n"
	"                  reports/latest points at it); DIR must be new or empty\n"
	"  --force         clear a non-empty --out first (only a run's own layout:\n"
	"                  files and SCENARIO/STACK folders; a link is refused)\n"
	"  -j N            cells at a time, 1..%d. A cell mostly waits on its\n"
	"                  scenario's timers, so several share a core; the verdicts\n"
	"                  do not depend on N. Default: %d per core, at most one per\n"
	"                  %d MiB of available memory; here %s\n"
	"  -v              print every event of every cell as it happens\n"
	"  --shard K/N     run only shard K of N: the cells sorted by scenario and\n"
	"                  stack, every N-th from the K-th. Merge the N run folders\n"
	"                  with `acklab report`. See docs/ci.md.\n"
	"  --seed N        the roles' random seed ({seed}; default 1)\n"
	"  --plan FILE     run one cell again exactly as its plan.json says (the\n"
	"                  scenario and stack text, seed, tokens and timers it holds)\n"
	"  --summary FILE  append summary.md to FILE too (e.g. $GITHUB_STEP_SUMMARY)\n"
	"\n"
	"A cell whose stack cannot do what its scenario needs (failpoints, server\n"
	"event lines, restart, a timer, catch-up) is n/a: not run, not counted as met.\n"
	"The run folder holds summary.md (the matrix and the story of every affected\n"
	"message), results.json, junit.xml, and per cell: plan.json, cell.json,\n"
	"history.jsonl, store.jsonl, capture.pcap (open it in Wireshark), chat.db and\n"
	"every role's logs.\n";

const char usage_report[] =
	"usage: acklab report DIR... [--out DIR] [--summary FILE]\n"
	"\n"
	"Loads one or more run folders (made by `acklab run`, e.g. one per CI shard),\n"
	"checks every cell again from its record (plan.json, history.jsonl,\n"
	"store.jsonl, cell.json: no network, nothing is run) and writes results.json,\n"
	"junit.xml and summary.md for all of them as one matrix.\n"
	"\n"
	"  --out DIR       where the merged reports go (default: the run folder, when\n"
	"                  there is one; required for several)\n"
	"  --summary FILE  append summary.md to FILE too (e.g. $GITHUB_STEP_SUMMARY)\n"
	"\n"
	"A cell found in two folders is an error. Exit status as for run: 0 every\n"
	"cell that ran met its expectation, 1 one did not, 2 usage error, 4 no cell ran.\n";

void usage_run_print(FILE *f)
{
	char why[256];

	matrix_default_jobs(why, sizeof why);
	fprintf(f, usage_run, MATRIX_MAX_JOBS, MATRIX_JOBS_PER_CORE, MATRIX_CELL_MIB, why);
}

const char usage_check[] =
	"usage: acklab check [FILE...]\n"
	"\n"
	"Parses scenario (.scn) and stack (.stack) files and reports their errors as\n"
	"FILE:LINE:COL: message: every bad line of a scenario (up to 20), the first\n"
	"error of a stack. Default: every file in the scenarios\n"
	"folder and its stacks/ folder. Exit 0 when all are valid, 2 otherwise.\n";

const char usage_list[] =
	"usage: acklab list\n"
	"\n"
	"Prints the scenarios (name and what each demonstrates), the stacks (and\n"
	"what each offers to scenarios: failpoints, events, restart, catchup), and\n"
	"the fault primitives scenarios can use.\n";

const char usage_study[] =
	"usage: acklab study detection [--out DIR] [-j N] [--seed N]\n"
	"\n"
	"How long a client takes to notice a half-open connection (the router forgot\n"
	"its NAT entry and neither end was told), and how many messages it writes\n"
	"into the dead connection meanwhile, for each way of noticing: heartbeats\n"
	"(100 ms, 1 s), TCP_USER_TIMEOUT (300 ms, 1.5 s), TCP keepalive (1 s, on an\n"
	"idle and on a busy connection), tcp_retries2=3 and the kernel's defaults.\n"
	"Each setting is a generated scenario on ws-naive sending one message every\n"
	"200 ms; the kernel's default (tcp_retries2=15, about 15 minutes) is\n"
	"estimated from its retransmission schedule, not waited for. Takes about\n"
	"20 s.\n"
	"\n"
	"  --out DIR   the study folder (default reports/study-detection-<time>):\n"
	"              study.html (table and plot), study.md, study.json, the\n"
	"              generated scenarios in scenarios/ and one cell folder each\n"
	"  -j N        cells at a time (default: as for `acklab run`)\n"
	"  --seed N    {seed} of every role (default 1)\n"
	"\n"
	"exit status: 0 every setting behaved as the study expects (those that can\n"
	"notice within the window do, keepalive on a busy connection and the kernel's\n"
	"defaults do not, and with nothing noticing every message is lost), 1 one\n"
	"did not, 2 usage error, 4 this machine cannot run it, 130 interrupted.\n";


const char usage_explore[] =
	"usage: acklab explore SCENARIO [--faults F,...] [--seed S] [--runs N | --for TIME]\n"
	"                      [--stack S,...] [--out DIR] [-j N] [-v]\n"
	"\n"
	"Draws a schedule of faults and heals at random moments from each seed (S,\n"
	"S+1, ...), weaves it into SCENARIO's steps and runs the result against each\n"
	"stack. The scenario says what to draw (`nemesis crash,drop-replies every\n"
	"300ms±100ms for 150ms`) and which property every explored run must keep, per\n"
	"stack (`expect http clean`, `expect ws-naive lost<=5`); a workload line\n"
	"(`workload clients 4 messages 2000 rate 500`) makes the traffic. The drawn\n"
	"scenario of a seed is RUN/sSEED/NAME.scn and every cell's plan holds it, so\n"
	"`acklab run --plan` repeats the exact schedule. The first cell that breaks\n"
	"its property stops the drawing; its seed, the reason and the commands that\n"
	"replay and shrink it are printed.\n"
	"\n"
	"  --faults F,...  draw these instead of the nemesis line's: crash, pause,\n"
	"                  drop-replies, evict-nat, partition, delay, drop, reset,\n"
	"                  loss, disk-full (every 300ms±100ms for 150ms by default)\n"
	"  --seed S        the first seed (default 1)\n"
	"  --runs N        seeds to try (default 20)\n"
	"  --for TIME      a soak: keep drawing seeds until TIME (90s, 10m, 1h) is\n"
	"                  up or a property fails; a progress line counts seeds,\n"
	"                  cells, messages checked and the classes seen\n"
	"  --stack S,...   the stacks (names or .stack paths; default: those the\n"
	"                  expect lines name, and the default stacks for `*`)\n"
	"  --out DIR       the run folder (default reports/explore-<time>-<id>)\n"
	"  -j N            cells at a time (default 2)\n"
	"\n"
	"exit status: 0 no property failed, 1 one did (or a cell could not run),\n"
	"2 usage or scenario error, 4 the machine cannot run it, 130 interrupted.\n";

const char usage_shrink[] =
	"usage: acklab shrink DIR/plan.json [--out FILE.scn] [--max-runs N] [--copies N] [-v]\n"
	"\n"
	"Runs a failing cell's plan again (a few times if it fails only now and then),\n"
	"then smaller versions of its scenario, keeping each cut while the cell still\n"
	"fails with the same class: first only the messages it failed on and the\n"
	"last fault before them, then one fault\n"
	"(with its heal) fewer, fewer messages (delta debugging: halves, quarters,\n"
	"... single messages), the messages of client2.. sent by client, waits\n"
	"dropped so the faults come earlier. Every rerun keeps the plan's seed and\n"
	"nonce and is one progress line; their cells are in DIR/shrink/rN. The\n"
	"smallest failing scenario is written as a .scn file with the exact\n"
	"messages and faults left, ready for scenarios/.\n"
	"\n"
	"  --out FILE.scn  where to write it (default DIR/shrink/NAME-min.scn)\n"
	"  --max-runs N    at most N reruns (default 60); the count is printed\n"
	"  --copies N      cells per rerun, run side by side (default 2): a cut is\n"
	"                  kept only when all of them fail, so the result fails\n"
	"                  reliably even where the original failed now and then\n"
	"  -v              say why a rerun could not finish\n"
	"\n"
	"exit status: 0 written, 1 the plan does not fail here, 2 usage error,\n"
	"4 the machine cannot run it, 130 interrupted.\n";
