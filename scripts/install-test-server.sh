#!/usr/bin/env bash
# Fetches the Java time-skipping test server from Maven Central into .tools/temporal-test-server, once,
# and writes an `exec` wrapper that @temporalio/testing can spawn as an existing executable.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
version="1.38.0"
dir="$root/.tools/temporal-test-server"
wrapper="$dir/temporal-test-server"
stamp="$dir/.version"

if [[ -x "$wrapper" && -f "$stamp" && "$(cat "$stamp")" == "$version" && -f "$dir/app.jsa" ]]; then
  echo "time-skipping test server: $wrapper (present)"
  exit 0
fi
command -v java >/dev/null 2>&1 || { echo "error: Java (>= 11) is required for the time-skipping test server; install a JDK" >&2; exit 1; }
command -v mvn >/dev/null 2>&1 || { echo "error: Maven is required to fetch the time-skipping test server; install maven" >&2; exit 1; }

echo "time-skipping test server: fetching io.temporal:temporal-test-server:$version with Maven..."
mkdir -p "$dir/lib"
cat > "$dir/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.tools</groupId><artifactId>temporal-test-server-runner</artifactId><version>0</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>io.temporal</groupId><artifactId>temporal-test-server</artifactId><version>$version</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-nop</artifactId><version>1.7.36</version></dependency>
  </dependencies>
</project>
POM
rm -f "$dir"/lib/*.jar
mvn -B -q -f "$dir/pom.xml" org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy-dependencies \
  -DincludeScope=runtime -DoutputDirectory="$dir/lib"

# JIT limited to C1 and serial GC: the server is short-lived and the SDK gives it ~5 s to listen.
jvm_flags="-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xss512k -Xshare:auto"
cat > "$wrapper" <<WRAP
#!/bin/sh
# Called by @temporalio/testing as: <this> <port> [flags]. exec so that the SDK's kill reaches the JVM.
dir="\$(cd "\$(dirname "\$0")" && pwd)"
exec java $jvm_flags -XX:SharedArchiveFile="\$dir/app.jsa" -cp "\$dir/lib/*" io.temporal.testserver.TestServer "\$@"
WRAP
chmod +x "$wrapper"

# Class-data sharing archive: dump the classes loaded by one start so later starts map them directly.
echo "time-skipping test server: building class-data sharing archive..."
rm -f "$dir/app.jsa"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
java $jvm_flags -XX:ArchiveClassesAtExit="$dir/app.jsa" -cp "$dir/lib/*" io.temporal.testserver.TestServer "$port" &
pid=$!
for _ in $(seq 1 100); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
  sleep 0.2
done
sleep 1
kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
[[ -f "$dir/app.jsa" ]] || echo "warning: no class-data sharing archive was written; start-up will be slower" >&2
echo "$version" > "$stamp"
echo "time-skipping test server: $wrapper"
