// The peer in the fan-out benchmark (docs/benchmarks.md): what a team would build with
// Socket.IO instead of Rollcall, as bare as the bare broadcast server. `POST /publish` with a
// number as its body emits it to every socket as event "e"; no auth, no storage. WebSocket
// transport only (the harness speaks WebSocket; Socket.IO's polling would be its fallback).
// Usage: SOCKETIO_ADDR=127.0.0.1:3901 node server.mjs
import { createServer } from "node:http";
import { Server } from "socket.io";

const [host, port] = (process.env.SOCKETIO_ADDR ?? "127.0.0.1:3901").split(":");

const http = createServer((req, res) => {
  if (req.method !== "POST" || req.url !== "/publish") {
    res.writeHead(404).end();
    return;
  }
  let body = "";
  req.on("data", (chunk) => (body += chunk));
  req.on("end", () => {
    io.emit("e", Number(body));
    res.end("ok");
  });
});
const io = new Server(http, { transports: ["websocket"], serveClient: false });

http.listen(Number(port), host, () => console.log(`socket.io peer on http://${host}:${port}`));
