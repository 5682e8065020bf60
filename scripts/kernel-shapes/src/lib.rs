//! Inner loops of candidate f32 matrix-kernel tiles (k steps over packed panels, the way tract
//! kernels read them), exported for `run.mjs`. `k8x8` is tract 0.23's wasm tile.
#![allow(clippy::all)]
use std::arch::wasm32::*;

static mut BUF: [f32; 1 << 20] = [0.0; 1 << 20];

#[no_mangle]
pub extern "C" fn buf() -> *mut f32 { std::ptr::addr_of_mut!(BUF) as *mut f32 }

macro_rules! madd { ($acc:expr, $a:expr, $b:expr) => { f32x4_add($acc, f32x4_mul($a, $b)) } }

// tract's 8x8: A packed [k][8], B packed [k][8]
#[no_mangle]
pub unsafe extern "C" fn k8x8(a: *const v128, b: *const v128, k: usize, out: *mut v128) {
    let z = f32x4_splat(0.0);
    let (mut c0l,mut c0h,mut c1l,mut c1h,mut c2l,mut c2h,mut c3l,mut c3h)=(z,z,z,z,z,z,z,z);
    let (mut c4l,mut c4h,mut c5l,mut c5h,mut c6l,mut c6h,mut c7l,mut c7h)=(z,z,z,z,z,z,z,z);
    for i in 0..k {
        let alo = v128_load(a.add(2*i)); let ahi = v128_load(a.add(2*i+1));
        let bl = v128_load(b.add(2*i)); let bh = v128_load(b.add(2*i+1));
        let s0=i32x4_shuffle::<0,0,0,0>(alo,alo); let s1=i32x4_shuffle::<1,1,1,1>(alo,alo);
        let s2=i32x4_shuffle::<2,2,2,2>(alo,alo); let s3=i32x4_shuffle::<3,3,3,3>(alo,alo);
        let s4=i32x4_shuffle::<0,0,0,0>(ahi,ahi); let s5=i32x4_shuffle::<1,1,1,1>(ahi,ahi);
        let s6=i32x4_shuffle::<2,2,2,2>(ahi,ahi); let s7=i32x4_shuffle::<3,3,3,3>(ahi,ahi);
        c0l=madd!(c0l,s0,bl);c0h=madd!(c0h,s0,bh);c1l=madd!(c1l,s1,bl);c1h=madd!(c1h,s1,bh);
        c2l=madd!(c2l,s2,bl);c2h=madd!(c2h,s2,bh);c3l=madd!(c3l,s3,bl);c3h=madd!(c3h,s3,bh);
        c4l=madd!(c4l,s4,bl);c4h=madd!(c4h,s4,bh);c5l=madd!(c5l,s5,bl);c5h=madd!(c5h,s5,bh);
        c6l=madd!(c6l,s6,bl);c6h=madd!(c6h,s6,bh);c7l=madd!(c7l,s7,bl);c7h=madd!(c7h,s7,bh);
    }
    for (j,v) in [c0l,c0h,c1l,c1h,c2l,c2h,c3l,c3h,c4l,c4h,c5l,c5h,c6l,c6h,c7l,c7h].iter().enumerate(){ v128_store(out.add(j),*v); }
}

// 4x8 with splat-loads of A (A packed [k][4])
#[no_mangle]
pub unsafe extern "C" fn k4x8(a: *const f32, b: *const v128, k: usize, out: *mut v128) {
    let z = f32x4_splat(0.0);
    let (mut c0l,mut c0h,mut c1l,mut c1h,mut c2l,mut c2h,mut c3l,mut c3h)=(z,z,z,z,z,z,z,z);
    for i in 0..k {
        let bl = v128_load(b.add(2*i)); let bh = v128_load(b.add(2*i+1));
        let s0=v128_load32_splat(a.add(4*i) as *const u32); let s1=v128_load32_splat(a.add(4*i+1) as *const u32);
        c0l=madd!(c0l,s0,bl);c0h=madd!(c0h,s0,bh);c1l=madd!(c1l,s1,bl);c1h=madd!(c1h,s1,bh);
        let s2=v128_load32_splat(a.add(4*i+2) as *const u32); let s3=v128_load32_splat(a.add(4*i+3) as *const u32);
        c2l=madd!(c2l,s2,bl);c2h=madd!(c2h,s2,bh);c3l=madd!(c3l,s3,bl);c3h=madd!(c3h,s3,bh);
    }
    for (j,v) in [c0l,c0h,c1l,c1h,c2l,c2h,c3l,c3h].iter().enumerate(){ v128_store(out.add(j),*v); }
}

// 6x8 with splat-loads of A (A packed [k][6])
#[no_mangle]
pub unsafe extern "C" fn k6x8(a: *const f32, b: *const v128, k: usize, out: *mut v128) {
    let z = f32x4_splat(0.0);
    let (mut c0l,mut c0h,mut c1l,mut c1h,mut c2l,mut c2h,mut c3l,mut c3h)=(z,z,z,z,z,z,z,z);
    let (mut c4l,mut c4h,mut c5l,mut c5h)=(z,z,z,z);
    for i in 0..k {
        let bl = v128_load(b.add(2*i)); let bh = v128_load(b.add(2*i+1));
        let p = a.add(6*i);
        let s=v128_load32_splat(p as *const u32); c0l=madd!(c0l,s,bl);c0h=madd!(c0h,s,bh);
        let s=v128_load32_splat(p.add(1) as *const u32); c1l=madd!(c1l,s,bl);c1h=madd!(c1h,s,bh);
        let s=v128_load32_splat(p.add(2) as *const u32); c2l=madd!(c2l,s,bl);c2h=madd!(c2h,s,bh);
        let s=v128_load32_splat(p.add(3) as *const u32); c3l=madd!(c3l,s,bl);c3h=madd!(c3h,s,bh);
        let s=v128_load32_splat(p.add(4) as *const u32); c4l=madd!(c4l,s,bl);c4h=madd!(c4h,s,bh);
        let s=v128_load32_splat(p.add(5) as *const u32); c5l=madd!(c5l,s,bl);c5h=madd!(c5h,s,bh);
    }
    for (j,v) in [c0l,c0h,c1l,c1h,c2l,c2h,c3l,c3h,c4l,c4h,c5l,c5h].iter().enumerate(){ v128_store(out.add(j),*v); }
}

// 8x8 with splat-loads of A (A packed [k][8])
#[no_mangle]
pub unsafe extern "C" fn k8x8s(a: *const f32, b: *const v128, k: usize, out: *mut v128) {
    let z = f32x4_splat(0.0);
    let (mut c0l,mut c0h,mut c1l,mut c1h,mut c2l,mut c2h,mut c3l,mut c3h)=(z,z,z,z,z,z,z,z);
    let (mut c4l,mut c4h,mut c5l,mut c5h,mut c6l,mut c6h,mut c7l,mut c7h)=(z,z,z,z,z,z,z,z);
    for i in 0..k {
        let bl = v128_load(b.add(2*i)); let bh = v128_load(b.add(2*i+1));
        let p = a.add(8*i);
        let s=v128_load32_splat(p as *const u32); c0l=madd!(c0l,s,bl);c0h=madd!(c0h,s,bh);
        let s=v128_load32_splat(p.add(1) as *const u32); c1l=madd!(c1l,s,bl);c1h=madd!(c1h,s,bh);
        let s=v128_load32_splat(p.add(2) as *const u32); c2l=madd!(c2l,s,bl);c2h=madd!(c2h,s,bh);
        let s=v128_load32_splat(p.add(3) as *const u32); c3l=madd!(c3l,s,bl);c3h=madd!(c3h,s,bh);
        let s=v128_load32_splat(p.add(4) as *const u32); c4l=madd!(c4l,s,bl);c4h=madd!(c4h,s,bh);
        let s=v128_load32_splat(p.add(5) as *const u32); c5l=madd!(c5l,s,bl);c5h=madd!(c5h,s,bh);
        let s=v128_load32_splat(p.add(6) as *const u32); c6l=madd!(c6l,s,bl);c6h=madd!(c6h,s,bh);
        let s=v128_load32_splat(p.add(7) as *const u32); c7l=madd!(c7l,s,bl);c7h=madd!(c7h,s,bh);
    }
    for (j,v) in [c0l,c0h,c1l,c1h,c2l,c2h,c3l,c3h,c4l,c4h,c5l,c5h,c6l,c6h,c7l,c7h].iter().enumerate(){ v128_store(out.add(j),*v); }
}

// 4x12 with splat-loads (12 acc + 3 B)
#[no_mangle]
pub unsafe extern "C" fn k4x12(a: *const f32, b: *const v128, k: usize, out: *mut v128) {
    let z = f32x4_splat(0.0);
    let mut c = [z; 12];
    for i in 0..k {
        let b0 = v128_load(b.add(3*i)); let b1 = v128_load(b.add(3*i+1)); let b2 = v128_load(b.add(3*i+2));
        let p = a.add(4*i);
        for r in 0..4 { let s=v128_load32_splat(p.add(r) as *const u32);
            c[3*r]=madd!(c[3*r],s,b0); c[3*r+1]=madd!(c[3*r+1],s,b1); c[3*r+2]=madd!(c[3*r+2],s,b2); }
    }
    for j in 0..12 { v128_store(out.add(j), c[j]); }
}

#[no_mangle]
pub unsafe extern "C" fn k4x8sh(a: *const v128, b: *const v128, k: usize, out: *mut v128) {
    let z = f32x4_splat(0.0);
    let (mut c0l,mut c0h,mut c1l,mut c1h,mut c2l,mut c2h,mut c3l,mut c3h)=(z,z,z,z,z,z,z,z);
    for i in 0..k {
        let bl = v128_load(b.add(2*i)); let bh = v128_load(b.add(2*i+1));
        let av = v128_load(a.add(i));
        let s0=i32x4_shuffle::<0,0,0,0>(av,av); let s1=i32x4_shuffle::<1,1,1,1>(av,av);
        c0l=madd!(c0l,s0,bl);c0h=madd!(c0h,s0,bh);c1l=madd!(c1l,s1,bl);c1h=madd!(c1h,s1,bh);
        let s2=i32x4_shuffle::<2,2,2,2>(av,av); let s3=i32x4_shuffle::<3,3,3,3>(av,av);
        c2l=madd!(c2l,s2,bl);c2h=madd!(c2h,s2,bh);c3l=madd!(c3l,s3,bl);c3h=madd!(c3h,s3,bh);
    }
    for (j,v) in [c0l,c0h,c1l,c1h,c2l,c2h,c3l,c3h].iter().enumerate(){ v128_store(out.add(j),*v); }
}

#[no_mangle]
pub unsafe extern "C" fn k5x8(a: *const f32, b: *const v128, k: usize, out: *mut v128) {
    let z = f32x4_splat(0.0);
    let mut c = [z; 10];
    for i in 0..k {
        let bl = v128_load(b.add(2*i)); let bh = v128_load(b.add(2*i+1));
        let p = a.add(5*i);
        for r in 0..5 { let s=v128_load32_splat(p.add(r) as *const u32);
            c[2*r]=madd!(c[2*r],s,bl); c[2*r+1]=madd!(c[2*r+1],s,bh); }
    }
    for j in 0..10 { v128_store(out.add(j), c[j]); }
}

#[no_mangle]
pub unsafe extern "C" fn k2x16(a: *const f32, b: *const v128, k: usize, out: *mut v128) {
    let z = f32x4_splat(0.0);
    let mut c = [z; 8];
    for i in 0..k {
        let b0 = v128_load(b.add(4*i)); let b1 = v128_load(b.add(4*i+1)); let b2 = v128_load(b.add(4*i+2)); let b3 = v128_load(b.add(4*i+3));
        let p = a.add(2*i);
        for r in 0..2 { let s=v128_load32_splat(p.add(r) as *const u32);
            c[4*r]=madd!(c[4*r],s,b0); c[4*r+1]=madd!(c[4*r+1],s,b1); c[4*r+2]=madd!(c[4*r+2],s,b2); c[4*r+3]=madd!(c[4*r+3],s,b3); }
    }
    for j in 0..8 { v128_store(out.add(j), c[j]); }
}

#[no_mangle]
pub unsafe extern "C" fn k3x12(a: *const f32, b: *const v128, k: usize, out: *mut v128) {
    let z = f32x4_splat(0.0);
    let mut c = [z; 9];
    for i in 0..k {
        let b0 = v128_load(b.add(3*i)); let b1 = v128_load(b.add(3*i+1)); let b2 = v128_load(b.add(3*i+2));
        let p = a.add(3*i);
        for r in 0..3 { let s=v128_load32_splat(p.add(r) as *const u32);
            c[3*r]=madd!(c[3*r],s,b0); c[3*r+1]=madd!(c[3*r+1],s,b1); c[3*r+2]=madd!(c[3*r+2],s,b2); }
    }
    for j in 0..9 { v128_store(out.add(j), c[j]); }
}
