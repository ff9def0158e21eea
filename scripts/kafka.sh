#!/usr/bin/env bash
# A real Apache Kafka broker (single KRaft node) on loopback, for tests and local runs, without Docker.
#   scripts/kafka.sh start|stop|status      KAFKA_PORT (default 9092), KAFKA_DATA_RESET=1 for a fresh broker
# The jars come from Maven Central (kafka/pom.xml) once, then from the .kafka/libs cache.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
HOME_DIR="$ROOT/.kafka"
LIBS="$HOME_DIR/libs"
PORT="${KAFKA_PORT:-9092}"
CONTROLLER_PORT="$((PORT + 1))"
DIR="$HOME_DIR/broker-$PORT"
PID_FILE="$DIR/broker.pid"
LOG="$DIR/broker.log"
PARTITIONS="${KAFKA_PARTITIONS:-3}"

log() { echo "kafka[$PORT]: $*" >&2; }

ready() { node "$ROOT/scripts/kafka-ready.js" "$PORT" "${1:-2000}" >/dev/null 2>&1; }

fetch_jars() {
  if [ -f "$LIBS/.complete" ] && [ "$(cat "$LIBS/.complete")" = "$(sha256sum "$ROOT/kafka/pom.xml" | cut -d' ' -f1)" ]; then
    return
  fi
  log "fetching Apache Kafka from Maven Central (once; cached in .kafka/libs)…"
  rm -rf "$LIBS"
  mkdir -p "$LIBS"
  local attempt
  for attempt in 1 2; do
    if mvn -q -B -f "$ROOT/kafka/pom.xml" dependency:copy-dependencies \
      -DoutputDirectory="$LIBS" -DincludeScope=runtime >&2; then
      sha256sum "$ROOT/kafka/pom.xml" | cut -d' ' -f1 >"$LIBS/.complete"
      log "fetched $(ls "$LIBS"/*.jar | wc -l) jars"
      return
    fi
    log "download failed (attempt $attempt)"
    sleep 3
  done
  echo "kafka[$PORT]: could not fetch the broker jars with Maven (is Maven Central reachable?)" >&2
  exit 1
}

write_config() {
  mkdir -p "$DIR"
  cat >"$DIR/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$PORT
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$DIR/data
num.partitions=$PARTITIONS
auto.create.topics.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=3
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
log.retention.hours=-1
log.segment.bytes=268435456
PROPS
  cat >"$DIR/log4j2.properties" <<'PROPS'
rootLogger.level = INFO
rootLogger.appenderRef.stdout.ref = STDOUT
appender.stdout.type = Console
appender.stdout.name = STDOUT
appender.stdout.layout.type = PatternLayout
appender.stdout.layout.pattern = [%d] %p %m (%c)%n
logger.noisy.name = org.apache.kafka.clients
logger.noisy.level = WARN
PROPS
}

running_pid() {
  [ -f "$PID_FILE" ] || return 1
  local pid
  pid="$(cat "$PID_FILE")"
  kill -0 "$pid" 2>/dev/null && echo "$pid"
}

start() {
  if ready 1500; then
    log "already answering on 127.0.0.1:$PORT"
    return
  fi
  if pid="$(running_pid)"; then
    log "broker process $pid exists but does not answer; restarting it"
    stop
  fi
  fetch_jars
  if [ "${KAFKA_DATA_RESET:-0}" = "1" ]; then rm -rf "$DIR/data"; fi
  write_config
  local java_opts=(-Xms256m -Xmx768m -XX:+UseG1GC -Djava.awt.headless=true "-Dlog4j2.configurationFile=$DIR/log4j2.properties")
  if [ ! -f "$DIR/data/meta.properties" ]; then
    local cluster_id
    cluster_id="$(java -cp "$LIBS/*" "${java_opts[@]}" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -1)"
    java -cp "$LIBS/*" "${java_opts[@]}" kafka.tools.StorageTool format -t "$cluster_id" -c "$DIR/server.properties" >>"$LOG" 2>&1 || {
      tail -20 "$LOG" >&2
      exit 1
    }
  fi
  log "starting a KRaft broker on 127.0.0.1:$PORT (log: $LOG)"
  nohup java -cp "$LIBS/*" "${java_opts[@]}" kafka.Kafka "$DIR/server.properties" >>"$LOG" 2>&1 </dev/null &
  echo $! >"$PID_FILE"
  local deadline=$((SECONDS + ${KAFKA_START_TIMEOUT:-120}))
  while ! ready 2000; do
    if ! running_pid >/dev/null; then
      log "the broker exited during start:"
      tail -30 "$LOG" >&2
      exit 1
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      log "the broker did not accept clients in time:"
      tail -30 "$LOG" >&2
      exit 1
    fi
    sleep 1
  done
  log "ready"
}

stop() {
  local pid
  if pid="$(running_pid)"; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 30); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 1
    done
    kill -KILL "$pid" 2>/dev/null || true
    log "stopped"
  fi
  rm -f "$PID_FILE"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) if ready 1500; then echo "running on 127.0.0.1:$PORT"; else echo "not running on 127.0.0.1:$PORT"; exit 1; fi ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
