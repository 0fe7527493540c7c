#!/bin/bash
# A real SLURM cluster on this one machine, for parbench's SLURM tests (and for trying the `slurm/`
# profile by hand): munge, MariaDB + slurmdbd (so that sacct works), slurmctld, and two slurmd
# daemons that simulate the nodes n1 and n2.
#
#   tests/slurm/cluster.sh install   apt-get the Debian packages (root; done by start when needed)
#   tests/slurm/cluster.sh start     install if needed, write the configs, start every daemon
#   tests/slurm/cluster.sh stop      cancel jobs, stop every daemon this script starts
#   tests/slurm/cluster.sh status    exit 0 when both nodes answer and sacct works
#
# Runs as root on Debian 12 without systemd: every daemon is started and stopped by hand.
# It writes /etc/slurm/slurm.conf and /etc/slurm/slurmdbd.conf (srun and sacct inside jobs read
# /etc/slurm, because Snakemake's job step strips SLURM_CONF). State and logs: $STATE.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
STATE="${PARBENCH_SLURM_STATE:-/var/tmp/parbench-slurm}"
HOST="$(hostname -s)"
CPUS="${PARBENCH_SLURM_CPUS:-2}"       # per simulated node: both share this host's cores
MEM_MB="${PARBENCH_SLURM_MEM_MB:-8000}" # per simulated node
NODES=(n1 n2)
DBPASS="parbench-test-only"
PACKAGES=(munge slurmctld slurmd slurm-client slurmdbd mariadb-server)
MARKER="# written by parbench tests/slurm/cluster.sh"

say() { echo "cluster.sh: $*" >&2; }
die() { say "$*"; exit 1; }

# A pid is alive when /proc says so and it is no zombie: PID 1 here does not reap orphans, so
# dead daemons linger in the process table.
alive() {
    local pid="$1"
    [[ -n "$pid" && -r "/proc/$pid/stat" ]] || return 1
    local state
    state="$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" || return 1
    [[ "$state" != "Z" && "$state" != "X" ]]
}

pid_from() { [[ -r "$1" ]] && cat "$1" || true; }

# Waits up to $1 seconds for the command that follows to succeed.
wait_for() {
    local seconds="$1"
    shift
    local deadline=$((SECONDS + seconds))
    until "$@" >/dev/null 2>&1; do
        ((SECONDS < deadline)) || return 1
        sleep 0.2
    done
}

installed() {
    command -v slurmctld && command -v slurmd && command -v slurmdbd && command -v sbatch \
        && command -v munged && command -v mysqld_safe
}

install() {
    [[ $EUID -eq 0 ]] || die "must run as root to install packages"
    installed >/dev/null 2>&1 && return 0
    command -v apt-get >/dev/null || die "apt-get not found: install ${PACKAGES[*]} by hand"
    # Keep the packages' scripts from starting daemons: this script starts them itself.
    local made_policy=""
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
        chmod +x /usr/sbin/policy-rc.d
        made_policy=1
    fi
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}" >/dev/null 2>&1; then
        apt-get update -qq >/dev/null 2>&1 || true
        apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}" >/dev/null \
            || { [[ -n "$made_policy" ]] && rm -f /usr/sbin/policy-rc.d; die "apt-get install failed"; }
    fi
    [[ -n "$made_policy" ]] && rm -f /usr/sbin/policy-rc.d
    installed >/dev/null 2>&1 || die "packages installed but the daemons are missing"
}

render() { # template -> stdout
    sed -e "s|@HOST@|$HOST|g" -e "s|@STATE@|$STATE|g" -e "s|@CPUS@|$CPUS|g" \
        -e "s|@MEM_MB@|$MEM_MB|g" -e "s|@DBPASS@|$DBPASS|g" "$1"
}

write_configs() {
    if [[ -e /etc/slurm/slurm.conf ]] && ! grep -qF "$MARKER" /etc/slurm/slurm.conf; then
        die "/etc/slurm/slurm.conf exists and is not ours: refusing to overwrite a real site's config"
    fi
    mkdir -p /etc/slurm "$STATE"/{ctld,spool,run,log}
    chown slurm:slurm "$STATE"/{ctld,run,log}
    { echo "$MARKER"; render "$HERE/slurm.conf.in"; } >/etc/slurm/slurm.conf
    { echo "$MARKER"; render "$HERE/slurmdbd.conf.in"; } >/etc/slurm/slurmdbd.conf
    chown slurm:slurm /etc/slurm/slurmdbd.conf
    chmod 600 /etc/slurm/slurmdbd.conf
}

munge_works() { munge -n | unmunge; }

start_munge() {
    munge_works >/dev/null 2>&1 && return 0
    mkdir -p /run/munge && chown munge:munge /run/munge
    runuser -u munge -- /usr/sbin/munged
    wait_for 10 munge_works || die "munged did not start"
}

start_mariadb() {
    mysqladmin ping >/dev/null 2>&1 || {
        mkdir -p /run/mysqld "$STATE/mariadb" && chown mysql:mysql /run/mysqld "$STATE/mariadb"
        # mysqld_safe stays in the foreground: detach it from this shell and its output.
        setsid mysqld_safe --user=mysql --skip-syslog --log-error="$STATE/mariadb/error.log" \
            </dev/null >/dev/null 2>&1 &
        wait_for 60 mysqladmin ping || die "MariaDB did not start (see $STATE/mariadb/error.log)"
    }
    mysql -u root <<SQL
CREATE DATABASE IF NOT EXISTS slurm_acct_db;
CREATE USER IF NOT EXISTS 'slurm'@'localhost' IDENTIFIED BY '$DBPASS';
GRANT ALL ON slurm_acct_db.* TO 'slurm'@'localhost';
FLUSH PRIVILEGES;
SQL
}

start_slurmdbd() {
    alive "$(pid_from "$STATE/run/slurmdbd.pid")" || slurmdbd
    wait_for 30 sacctmgr -n show cluster || die "slurmdbd does not answer (see $STATE/log/slurmdbd.log)"
    # The cluster, an account and root in it: jobs then get an association and sacct lists them.
    sacctmgr -i add cluster parbench >/dev/null 2>&1 || true
    sacctmgr -i add account parbench cluster=parbench description=tests organization=parbench \
        >/dev/null 2>&1 || true
    sacctmgr -i add user root account=parbench cluster=parbench >/dev/null 2>&1 || true
}

nodes_idle() {
    local states
    states="$(sinfo -h -N -o '%N %T' 2>/dev/null)" || return 1
    for node in "${NODES[@]}"; do
        grep -Eq "^$node (idle|mixed|allocated)" <<<"$states" || return 1
    done
}

start_slurm() {
    # -c: a slurmctld that is not running died with whatever ran last (a killed test session), and
    # would otherwise recover those jobs as running and hold both nodes until it notices, about
    # half an hour later, that their processes are gone; this test cluster keeps no jobs across starts.
    alive "$(pid_from "$STATE/run/slurmctld.pid")" || slurmctld -c
    wait_for 30 scontrol ping || die "slurmctld does not answer (see $STATE/log/slurmctld.log)"
    for node in "${NODES[@]}"; do
        alive "$(pid_from "$STATE/run/slurmd-$node.pid")" || slurmd -N "$node"
    done
    if ! wait_for 30 nodes_idle; then
        scontrol update nodename="$(IFS=,; echo "${NODES[*]}")" state=resume >/dev/null 2>&1 || true
        wait_for 15 nodes_idle || die "nodes not idle: $(sinfo -N 2>&1) (see $STATE/log/)"
    fi
}

start() {
    [[ $EUID -eq 0 ]] || die "must run as root"
    install
    write_configs
    start_munge
    start_mariadb
    start_slurmdbd
    start_slurm
    say "up: $(sinfo -h -N -o '%N=%T' | tr '\n' ' ')(state and logs in $STATE)"
}

# Sends TERM to the daemon in pid file $1 and waits for it to go.
stop_pidfile() {
    local pid
    pid="$(pid_from "$1")"
    if alive "$pid"; then
        kill -TERM "$pid" 2>/dev/null || true
        wait_for 30 bash -c "! [[ -r /proc/$pid/stat ]] || grep -q ') Z' /proc/$pid/stat" \
            || kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$1"
}

stop() {
    if command -v scancel >/dev/null && scontrol ping >/dev/null 2>&1; then
        scancel --full --user=root >/dev/null 2>&1 || true
        wait_for 20 bash -c '[[ -z "$(squeue -h -o %i)" ]]' || say "jobs still listed: $(squeue -h)"
    fi
    for node in "${NODES[@]}"; do stop_pidfile "$STATE/run/slurmd-$node.pid"; done
    stop_pidfile "$STATE/run/slurmctld.pid"
    stop_pidfile "$STATE/run/slurmdbd.pid"
    if mysqladmin ping >/dev/null 2>&1; then
        mysqladmin shutdown >/dev/null 2>&1 || true
        wait_for 30 bash -c '! mysqladmin ping' || say "MariaDB still answers"
    fi
    stop_pidfile /run/munge/munged.pid
    say "stopped"
}

status() {
    munge_works >/dev/null 2>&1 || { say "munge: down"; return 1; }
    sacct -n -X -S now-1minutes >/dev/null 2>&1 || { say "sacct/slurmdbd: down"; return 1; }
    nodes_idle || { say "nodes: $(sinfo -h -N -o '%N=%T' 2>&1 | tr '\n' ' ')"; return 1; }
    say "up: $(sinfo -h -N -o '%N=%T' | tr '\n' ' ')"
}

case "${1:-}" in
install) install ;;
start) start ;;
stop) stop ;;
status) status ;;
*) die "usage: $0 install|start|stop|status" ;;
esac
