#!/usr/bin/env node
// Exits 0 when a Kafka broker on 127.0.0.1:PORT accepts clients (metadata and topic listing), else 1.
'use strict';
const { Kafka, logLevel } = require('kafkajs');

const port = process.argv[2] || '9092';
const timeoutMs = Number(process.argv[3] || 3000);
const kafka = new Kafka({
  clientId: 'casestats-ready',
  brokers: [`127.0.0.1:${port}`],
  logLevel: logLevel.NOTHING,
  connectionTimeout: timeoutMs,
  requestTimeout: timeoutMs,
  retry: { retries: 0 },
});
const admin = kafka.admin();
const timer = setTimeout(() => process.exit(1), timeoutMs * 2);
admin
  .connect()
  .then(() => admin.describeCluster())
  .then((c) => (c.brokers.length ? admin.listTopics() : Promise.reject(new Error('no brokers'))))
  .then(
    () => admin.disconnect().finally(() => process.exit(0)),
    () => process.exit(1),
  )
  .finally(() => clearTimeout(timer));
