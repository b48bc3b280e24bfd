/*
 * study_model: the kernel's retransmission model (study_model.h).
 */
#include "study_model.h"

/* The RTO's cap (TCP_RTO_MAX). */
#define STUDY_RTO_MAX_MS 120000.0

double study_kernel_limit_ms(int retries2, double rto_ms)
{
	int linear = 0;

	/* The doublings before the RTO reaches its cap (ilog2(TCP_RTO_MAX / rto)), as the kernel counts. */
	while (rto_ms * (double)(2L << linear) <= STUDY_RTO_MAX_MS)
		linear++;
	if (retries2 <= linear)
		return (double)((2L << retries2) - 1) * rto_ms;
	return (double)((2L << linear) - 1) * rto_ms + (double)(retries2 - linear) * STUDY_RTO_MAX_MS;
}

double study_kernel_give_up_ms(int retries2, double rto_ms)
{
	double limit = study_kernel_limit_ms(retries2, rto_ms), rto = rto_ms, expiry = rto_ms;

	/* The timer fires at rto, 3 rto, 7 rto, ... (capped steps); the first retransmission starts the clock. */
	while (expiry - rto_ms < limit) {
		rto = rto * 2 > STUDY_RTO_MAX_MS ? STUDY_RTO_MAX_MS : rto * 2;
		expiry += rto;
	}
	return expiry;
}
