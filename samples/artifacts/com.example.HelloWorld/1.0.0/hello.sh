#!/bin/sh
# The sample component's program: greets every INTERVAL seconds until stopped.
message=$1
interval=$2
echo "com.example.HelloWorld started on thing ${AWS_IOT_THING_NAME:-unknown}"
while :; do
    echo "$message"
    sleep "$interval"
done
