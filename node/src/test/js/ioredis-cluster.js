// ioredis's cluster client against a Keyshard cluster: node ioredis-cluster.js HOST PORT
// Writes and reads keys over every node (following MOVED), a hash-tagged multi-key command in
// one slot, and prints "ok <n>" when every reply was right.
const Redis = require("ioredis");

async function main() {
  const [host, port] = [process.argv[2], Number(process.argv[3])];
  const cluster = new Redis.Cluster([{ host, port }], { redisOptions: { connectTimeout: 10000 } });
  const n = 500;
  for (let i = 0; i < n; i++) {
    await cluster.set(`io:${i}`, `v${i}`);
  }
  for (let i = 0; i < n; i++) {
    const v = await cluster.get(`io:${i}`);
    if (v !== `v${i}`) throw new Error(`io:${i} is ${v}`);
  }
  await cluster.mset("{io}a", "1", "{io}b", "2");
  const both = await cluster.mget("{io}a", "{io}b");
  if (both.join(",") !== "1,2") throw new Error(`mget gave ${both}`);
  await cluster.rpush("{io}list", "x", "y");
  const popped = await cluster.blpop("{io}list", 1);
  if (popped.join(",") !== "{io}list,x") throw new Error(`blpop gave ${popped}`);
  const nodes = cluster.nodes("master").length;
  console.log(`ok ${n} ${nodes}`);
  cluster.disconnect();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
