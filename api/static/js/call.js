// The call the operator is on: whose booking it is and what has been asked so far.
// A booking is only ever made for call.rider, which only chooseRider() sets (an operator's click) and
// newCall() clears. Every asynchronous answer checks isCurrent(token) so a late reply for an earlier call
// can never fill in the present one.

export const call = { token: 0, rider: null, pickup: null, dropoff: null, booking: null };
const resetHandlers = [];
const riderHandlers = [];

/** ``handler()`` runs whenever a new call starts (every field back to its default). */
export function onNewCall(handler) { resetHandlers.push(handler); }
/** ``handler(rider | null)`` runs whenever the call's rider changes. */
export function onRider(handler) { riderHandlers.push(handler); }

/** Forget everything about the present call; returns the new call's token. */
export function newCall() {
  call.token += 1;
  call.rider = null;
  call.pickup = null;
  call.dropoff = null;
  call.booking = null;
  for (const handler of resetHandlers) handler();
  for (const handler of riderHandlers) handler(null);
  return call.token;
}

/** The operator chose ``rider`` for this call (a click on a search result, or a registration). */
export function chooseRider(rider) {
  if (rider && rider.active === false) return false;  // deactivated riders are kept, not bookable
  call.rider = rider;
  for (const handler of riderHandlers) handler(rider);
  return true;
}

export const isCurrent = (token) => token === call.token;
