/*
 * pkt_hash.h - which worker a captured packet goes to.
 *
 * Owns: a symmetric hash of a raw packet's outer IP address pair, read
 * through the link layers decode.c knows (Ethernet with VLAN/QinQ, PPPoE
 * and MPLS, Linux SLL/SLL2, raw IP, BSD null/loopback, Cisco HDLC). Both
 * directions of a conversation hash alike, and so do every fragment of a
 * datagram and every packet inside a tunnel (GRE, VXLAN, IP-in-IP: the
 * outer pair decides), so a flow is never split between two workers and
 * each worker's fragment table sees all fragments. The price: all flows
 * between two addresses, and a whole tunnel, go to one worker - the same
 * trade AF_PACKET's fanout hash makes on a live link.
 */
#ifndef VIGIL_PKT_HASH_H
#define VIGIL_PKT_HASH_H

#include <stdint.h>

/* The hash of pkt (caplen bytes, DLT_* linktype); 0 for what is not IP. */
uint32_t pkt_hash_pair(int linktype, const uint8_t *pkt, uint32_t caplen);

#endif
