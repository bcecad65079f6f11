/* logos.h: the 32x32 and 64x64 PNG logos installed with each kernelspec. */
#ifndef KINDLING_LOGOS_H
#define KINDLING_LOGOS_H

extern const unsigned char logo_32[];
extern const unsigned long logo_32_len;
extern const unsigned char logo_64[];
extern const unsigned long logo_64_len;

#endif
